/*
 * The dotenv grammar (package dotenv: dotenv.go, parse.go, word.go,
 * errors.go, names.go), ported line by line: the same files are accepted,
 * with the same values, and the same files refused, with the same line
 * and reason. The Go package stays the reference; the tests compare the
 * two on its cases, its fuzz corpus and a fuzz target of their own.
 *
 *	[blanks] [export blanks] NAME=word [blanks] [# comment]
 *	[blanks] [# comment]
 *
 * Nothing of the file is ever executed, and no byte of a value can reach a
 * message: an error is a line number, a fixed text and a name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"

enum reason {
	R_UTF16,
	R_NUL,
	R_CONTROL,
	R_STRAY_CR,
	R_NOT_UTF8,
	R_NOT_ASSIGNMENT,
	R_BAD_NAME,
	R_SHELL_NAME,
	R_WHITESPACE,
	R_OPERATOR,
	R_BACKTICK,
	R_COMMAND_SUBST,
	R_PARAM_FORM,
	R_SPECIAL_PARAM,
	R_DOLLAR_QUOTE,
	R_DOLLAR,
	R_CONTINUED_NAME,
	R_SHELL_VAR,
	R_TILDE,
	R_BRACE,
	R_UNCLOSED_SINGLE,
	R_UNCLOSED_DOUBLE,
	R_BACKSLASH_AT_EOF,
	R_TOO_LONG,
	R_TOO_MUCH,
	NUM_REASONS
};

/* errors.go's texts; %v is the variable's name. */
static const char *const reasons[NUM_REASONS] = {
	[R_UTF16] = "the file is UTF-16; save it as UTF-8",
	[R_NUL] = "a NUL byte",
	[R_CONTROL] = "a control character (only tab and newline are allowed)",
	[R_STRAY_CR] = "a carriage return that does not end the line",
	[R_NOT_UTF8] = "bytes that are not UTF-8",
	[R_NOT_ASSIGNMENT] = "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line",
	[R_BAD_NAME] = "not a variable name before = (letters, digits and _, not starting with a digit)",
	[R_SHELL_NAME] = "%v is a variable the shell sets itself, and shells differ on it: use another name",
	[R_WHITESPACE] = "unquoted space or tab in the value of %v: quote the value; one assignment per line",
	[R_OPERATOR] = "an unquoted ; & | < > ( or ) in the value of %v: quote the value",
	[R_BACKTICK] = "a backquote (command substitution) in the value of %v: put the value in single quotes",
	[R_COMMAND_SUBST] = "a command substitution in the value of %v: put the value in single quotes",
	[R_PARAM_FORM] = "a ${...} other than ${NAME} in the value of %v: only $NAME and ${NAME} are expanded",
	[R_SPECIAL_PARAM] = "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of %v: write \\$ for a literal $",
	[R_DOLLAR_QUOTE] = "a $'...' or $\"...\" string in the value of %v: shells differ on them",
	[R_DOLLAR] = "a $ without a name after it in the value of %v: write \\$ for a literal $",
	[R_CONTINUED_NAME] = "a line continuation inside or right after a $NAME in the value of %v: the shells join the lines into one name",
	[R_SHELL_VAR] = "the value of %v uses a variable the shell sets itself, and shells differ on it",
	[R_TILDE] = "an unquoted ~ at the start of the value of %v or after a colon (tilde expansion): write $HOME, or quote it",
	[R_BRACE] = "an unquoted { in the value of %v after export (bash expands braces there): quote the value",
	[R_UNCLOSED_SINGLE] = "the single quote that starts here in the value of %v is never closed",
	[R_UNCLOSED_DOUBLE] = "the double quote that starts here in the value of %v is never closed",
	[R_BACKSLASH_AT_EOF] = "a backslash at the end of the file, in the value of %v",
	[R_TOO_LONG] = "the value of %v is too long: Linux allows at most 131072 bytes for NAME=value in the environment",
	[R_TOO_MUCH] = "the values add up to more than 4194304 bytes after expansion (at %v)",
};

void dotenv_error_text(struct text *t, const struct dotenv_error *e)
{
	const char *text = "";
	if (e->reason >= 0 && e->reason < NUM_REASONS)
		text = reasons[e->reason];
	text_str(t, "line ");
	text_uint(t, (unsigned long)e->line);
	text_str(t, ": ");
	/* Error.Reason: the first %v is the name. */
	const char *v = strstr(text, "%v");
	if (v == NULL) {
		text_str(t, text);
		return;
	}
	text_add(t, text, (size_t)(v - text));
	if (e->name != NULL)
		text_add(t, e->name, e->name_len);
	text_str(t, v + 2);
}

/* names.go: the variables dash, busybox sh or bash --posix set, compute or
 * protect themselves, and those the shells default when unset. */
struct name {
	const char *s;
	size_t len;
};
#define NAME(s) {s, sizeof s - 1}

static const struct name shell_vars[] = {
	NAME("BASH"), NAME("BASHOPTS"), NAME("BASHPID"), NAME("COMP_WORDBREAKS"),
	NAME("DIRSTACK"), NAME("EPOCHREALTIME"), NAME("EPOCHSECONDS"),
	NAME("EUID"), NAME("FUNCNAME"), NAME("GROUPS"), NAME("HISTCMD"),
	NAME("HOSTTYPE"), NAME("IFS"), NAME("LINENO"), NAME("MACHTYPE"),
	NAME("OLDPWD"), NAME("OPTARG"), NAME("OPTERR"), NAME("OPTIND"),
	NAME("OSTYPE"), NAME("PIPESTATUS"), NAME("POSIXLY_CORRECT"), NAME("PPID"),
	NAME("PS1"), NAME("PS2"), NAME("PS3"), NAME("PS4"), NAME("PWD"),
	NAME("RANDOM"), NAME("SECONDS"), NAME("SHELLOPTS"), NAME("SHLVL"),
	NAME("SRANDOM"), NAME("UID"), NAME("_"),
};

static const struct name shell_defaults[] = {NAME("HOSTNAME"), NAME("PATH"), NAME("SHELL"), NAME("TERM")};

static int in_list(const struct name *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].len == len && memcmp(list[i].s, s, len) == 0)
			return 1;
	return 0;
}

/* isShellVar: one of shell_vars, or a BASH_ name other than BASH_ENV. */
static int is_shell_var(const char *s, size_t len)
{
	if (in_list(shell_vars, sizeof shell_vars / sizeof shell_vars[0], s, len))
		return 1;
	return len > 5 && memcmp(s, "BASH_", 5) == 0 && !(len == 8 && memcmp(s, "BASH_ENV", 8) == 0);
}

static int has_shell_default(const char *s, size_t len)
{
	return in_list(shell_defaults, sizeof shell_defaults / sizeof shell_defaults[0], s, len);
}

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_name_byte(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c);
}

/* isName: a POSIX name. */
static int is_name(const unsigned char *s, size_t len)
{
	if (len == 0 || is_digit(s[0]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_name_byte(s[i]))
			return 0;
	return 1;
}

enum { OK = 0, REFUSED = 1, NO_MEMORY = -1 };

/* isUTF16 recognises what Windows PowerShell 5 writes. */
static int is_utf16(const unsigned char *d, size_t len)
{
	if (len < 2)
		return 0;
	unsigned char a = d[0], b = d[1];
	return (a == 0xFF && b == 0xFE) || (a == 0xFE && b == 0xFF) ||
	       (a == 0 && b != 0 && b < 0x80) || (a != 0 && a < 0x80 && b == 0);
}

static int refuse(struct dotenv_error *e, int line, int reason, const char *name, size_t name_len)
{
	e->line = line;
	e->reason = reason;
	e->name = name;
	e->name_len = name_len;
	return REFUSED;
}

/* normalize checks the encoding (dotenv.normalize) and returns the text to
 * parse: a leading UTF-8 BOM dropped, every CRLF turned into LF, in place. */
static int normalize(unsigned char *data, size_t len, unsigned char **out, size_t *out_len, size_t *assignments,
		     struct dotenv_error *e)
{
	if (is_utf16(data, len))
		return refuse(e, 1, R_UTF16, NULL, 0);
	if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
		data += 3;
		len -= 3;
	}
	int line = 1;
	size_t crs = 0, equals = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = data[i];
		if (c == '\n') {
			line++;
		} else if (c == '=') {
			equals++;
		} else if (c == '\r') {
			if (i + 1 == len || data[i + 1] != '\n')
				return refuse(e, line, R_STRAY_CR, NULL, 0);
			crs++;
		} else if (c == 0) {
			return refuse(e, line, R_NUL, NULL, 0);
		} else if ((c < 0x20 && c != '\t') || c == 0x7F) {
			return refuse(e, line, R_CONTROL, NULL, 0);
		} else if (c >= 0x80) {
			unsigned long r;
			size_t w = utf8_decode(data + i, len - i, &r);
			if (r == 0xFFFD && w <= 1)
				return refuse(e, line, R_NOT_UTF8, NULL, 0);
			i += w;
			continue;
		}
		i++;
	}
	if (crs > 0) {
		size_t w = 0;
		for (size_t i = 0; i < len; i++)
			if (data[i] != '\r') /* each is before a LF, checked above */
				data[w++] = data[i];
		len = w;
	}
	*out = data;
	*out_len = len;
	/* At most one assignment a line, each with its '=': what to reserve. */
	*assignments = equals < (size_t)line ? equals : (size_t)line;
	return OK;
}

/* The parser reads normalized text: LF only, no BOM, no NUL, no control
 * character but tab and newline, valid UTF-8. */
struct parser {
	const unsigned char *src;
	size_t len, pos;
	int line;
	const struct env *env;
	struct dotenv *d;
	size_t total;           /* bytes of all values so far (MAX_TOTAL) */
	unsigned char *scratch; /* the value being read */
	size_t scratch_cap;     /* grown as values need, up to MAX_ENV_STRING */
	struct dotenv_error *e;
};

/* The value being read, in p->scratch. max is what is left of
 * MAX_ENV_STRING for it (len(NAME=) + value + NUL); it is negative for a
 * name too long for any value, and then even "" cannot be added, as in Go. */
struct value {
	size_t len;
	long max;
	const char *name;
	size_t name_len;
	int line;
};

static int fail(struct parser *p, int reason, const struct value *v)
{
	return refuse(p->e, p->line, reason, v->name, v->name_len);
}

static int value_fits(const struct value *v, size_t n)
{
	return v->max >= 0 && n <= (size_t)v->max && v->len <= (size_t)v->max - n;
}

/* value_room makes room for n more bytes of the value, or refuses it as
 * too long (at the line where the value starts). */
static int value_room(struct parser *p, const struct value *v, size_t n)
{
	if (!value_fits(v, n))
		return refuse(p->e, v->line, R_TOO_LONG, v->name, v->name_len);
	size_t need = v->len + n; /* <= max < MAX_ENV_STRING */
	if (need > p->scratch_cap) {
		size_t cap = p->scratch_cap < 4096 ? 4096 : p->scratch_cap;
		while (cap < need)
			cap *= 2;
		if (cap > MAX_ENV_STRING)
			cap = MAX_ENV_STRING;
		unsigned char *s = realloc(p->scratch, cap);
		if (s == NULL)
			return NO_MEMORY;
		p->scratch = s;
		p->scratch_cap = cap;
	}
	return OK;
}

static int value_add(struct parser *p, struct value *v, const void *s, size_t n)
{
	int r = value_room(p, v, n);
	if (r != OK)
		return r;
	if (n > 0)
		memcpy(p->scratch + v->len, s, n);
	v->len += n;
	return OK;
}

static int value_add_byte(struct parser *p, struct value *v, unsigned char c)
{
	int r = value_room(p, v, 1);
	if (r != OK)
		return r;
	p->scratch[v->len++] = c;
	return OK;
}

static void newline(struct parser *p)
{
	p->pos++;
	p->line++;
}

static void skip_blanks(struct parser *p)
{
	while (p->pos < p->len && is_blank(p->src[p->pos]))
		p->pos++;
}

/* skipComment skips to the end of the line, newline included. */
static void skip_comment(struct parser *p)
{
	while (p->pos < p->len && p->src[p->pos] != '\n')
		p->pos++;
	if (p->pos < p->len)
		newline(p);
}

/* isContinuation: a backslash-newline at i, which the shells remove before
 * they read names. */
static int is_continuation(const struct parser *p, size_t i)
{
	return i < p->len && p->len - i >= 2 && p->src[i] == '\\' && p->src[i + 1] == '\n';
}

/* expand adds the value of ref: the file's own, else the environment's,
 * else nothing. Variables the shells set themselves are refused. */
static int expand(struct parser *p, struct value *v, const unsigned char *ref, size_t n)
{
	const char *name = (const char *)ref;
	if (is_shell_var(name, n))
		return fail(p, R_SHELL_VAR, v);
	const struct slot *s = table_get(&p->d->last, name, n);
	if (s != NULL) {
		const struct var *a = &p->d->vars[s->index];
		return value_add(p, v, p->d->arena + a->value_off, a->value_len);
	}
	const char *val;
	size_t val_len;
	if (p->env != NULL && env_get(p->env, name, n, &val, &val_len))
		return value_add(p, v, val, val_len);
	if (has_shell_default(name, n))
		return fail(p, R_SHELL_VAR, v);
	return OK;
}

/* dollar reads $NAME or ${NAME} and adds its value; every other form of $
 * is refused. In double quotes, $' and $" are not $'…' or $"…". */
static int dollar(struct parser *p, struct value *v, int in_double_quotes)
{
	size_t at = p->pos + 1; /* rest = src[at:] */
	const unsigned char *rest = p->src + at;
	size_t rest_len = p->len - at;
	if (rest_len == 0)
		return fail(p, R_DOLLAR, v);
	if (is_continuation(p, at))
		return fail(p, R_CONTINUED_NAME, v);
	unsigned char c = rest[0];
	if (c == '{') {
		size_t n = 1;
		while (n < rest_len && is_name_byte(rest[n]))
			n++;
		if (is_continuation(p, at + n))
			return fail(p, R_CONTINUED_NAME, v);
		if (n == rest_len || rest[n] != '}' || !is_name(rest + 1, n - 1))
			return fail(p, R_PARAM_FORM, v);
		p->pos += 1 + n + 1;
		return expand(p, v, rest + 1, n - 1);
	}
	if (is_name_byte(c) && !is_digit(c)) {
		size_t n = 1;
		while (n < rest_len && is_name_byte(rest[n]))
			n++;
		if (is_continuation(p, at + n)) /* $A\<newline>B is $AB to the shells */
			return fail(p, R_CONTINUED_NAME, v);
		p->pos += 1 + n;
		return expand(p, v, rest, n);
	}
	if (c == '(')
		return fail(p, R_COMMAND_SUBST, v);
	if (is_digit(c) || c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!')
		return fail(p, R_SPECIAL_PARAM, v);
	if ((c == '\'' || c == '"') && !in_double_quotes)
		return fail(p, R_DOLLAR_QUOTE, v);
	return fail(p, R_DOLLAR, v);
}

/* add_run adds the n bytes at p->pos to the value and moves past them;
 * newlines among them count as lines. Runs of ordinary bytes are added at
 * once rather than byte by byte: the same value, and the same error (a
 * value too long is reported at the line where it starts). */
static int add_run(struct parser *p, struct value *v, size_t n)
{
	/* No byte, nothing added: not refused even after a name too long for
	 * any value (Go adds nothing then either: NAME='' is accepted). */
	if (n == 0)
		return OK;
	int r = value_add(p, v, p->src + p->pos, n);
	if (r != OK)
		return r;
	for (size_t i = 0; i < n; i++)
		if (p->src[p->pos + i] == '\n')
			p->line++;
	p->pos += n;
	return OK;
}

/* singleQuoted reads '…': every byte up to the next ' is literal. */
static int single_quoted(struct parser *p, struct value *v)
{
	int line = p->line;
	p->pos++;
	size_t n = 0;
	while (p->pos + n < p->len && p->src[p->pos + n] != '\'')
		n++;
	int r = add_run(p, v, n);
	if (r != OK)
		return r;
	if (p->pos == p->len)
		return refuse(p->e, line, R_UNCLOSED_SINGLE, v->name, v->name_len);
	p->pos++;
	return OK;
}

/* A backslash in double quotes is special only before $ ` " \ and newline. */
static int backslash_in_double_quotes(struct parser *p, struct value *v)
{
	if (p->pos + 1 == p->len) {
		p->pos++;
		return OK; /* the caller reports the unclosed quote */
	}
	unsigned char next = p->src[p->pos + 1];
	switch (next) {
	case '\n':
		p->pos++;
		newline(p);
		return OK;
	case '$':
	case '`':
	case '"':
	case '\\':
		p->pos += 2;
		return value_add_byte(p, v, next);
	}
	p->pos++;
	return value_add_byte(p, v, '\\');
}

/* doubleQuoted reads "…": $NAME and ${NAME} expand. */
static int double_quoted(struct parser *p, struct value *v)
{
	int line = p->line;
	p->pos++;
	while (p->pos < p->len) {
		size_t n = 0;
		unsigned char c;
		while (p->pos + n < p->len && (c = p->src[p->pos + n]) != '"' && c != '\\' && c != '$' && c != '`')
			n++;
		int r = add_run(p, v, n);
		if (r != OK)
			return r;
		if (p->pos == p->len)
			break;
		c = p->src[p->pos];
		switch (c) {
		case '"':
			p->pos++;
			return OK;
		case '\\':
			r = backslash_in_double_quotes(p, v);
			break;
		case '$':
			r = dollar(p, v, 1);
			break;
		default: /* '`' */
			r = fail(p, R_BACKTICK, v);
		}
		if (r != OK)
			return r;
	}
	return refuse(p->e, line, R_UNCLOSED_DOUBLE, v->name, v->name_len);
}

/* is_plain: a byte that word adds as it is wherever it stands: none of
 * those word treats otherwise (blanks, newline, quotes, $, `, backslash,
 * operators), nor ~, { or : (whose meaning depends on where they stand). */
static int is_plain(unsigned char c)
{
	switch (c) {
	case ' ': case '\t': case '\n': case '\\': case '\'': case '"': case '$': case '`':
	case ';': case '&': case '|': case '<': case '>': case '(': case ')':
	case '~': case '{': case ':':
		return 0;
	}
	return 1;
}

/* word reads the value after NAME= up to an unquoted blank, newline or the
 * end of the file. It is never split or globbed (an assignment); tilde
 * expansion, and brace expansion by bash after export, are refused where
 * they would apply. */
static int word(struct parser *p, struct value *v, int exported)
{
	int start = 1, after_colon = 0; /* where an unquoted ~ would expand */
	while (p->pos < p->len) {
		unsigned char c = p->src[p->pos];
		if (is_blank(c) || c == '\n')
			break;
		if (is_continuation(p, p->pos)) { /* as if absent, for ~ too */
			p->pos++;
			newline(p);
			continue;
		}
		size_t n = 0;
		while (p->pos + n < p->len && is_plain(p->src[p->pos + n]))
			n++;
		if (n > 0) { /* not ':', so ~ after them is literal */
			int r = add_run(p, v, n);
			if (r != OK)
				return r;
			start = after_colon = 0;
			continue;
		}
		int colon = 0, r;
		switch (c) {
		case '\\':
			if (p->pos + 1 == p->len)
				return fail(p, R_BACKSLASH_AT_EOF, v);
			r = value_add_byte(p, v, p->src[p->pos + 1]);
			p->pos += 2;
			break;
		case '\'':
			r = single_quoted(p, v);
			break;
		case '"':
			r = double_quoted(p, v);
			break;
		case '$':
			r = dollar(p, v, 0);
			break;
		case '`':
			r = fail(p, R_BACKTICK, v);
			break;
		case ';':
		case '&':
		case '|':
		case '<':
		case '>':
		case '(':
		case ')':
			r = fail(p, R_OPERATOR, v);
			break;
		default:
			if (c == '~' && (start || after_colon)) {
				r = fail(p, R_TILDE, v);
			} else if (c == '{' && exported) {
				r = fail(p, R_BRACE, v);
			} else {
				r = value_add_byte(p, v, c);
				p->pos++;
				colon = c == ':';
			}
		}
		if (r != OK)
			return r;
		start = 0;
		after_colon = colon;
	}
	return OK;
}

/* exportKeyword skips `export` and the blanks after it, if the line starts
 * with that word. `export=1` is an assignment to a variable named export. */
static int export_keyword(struct parser *p)
{
	static const char kw[] = "export";
	size_t n = sizeof kw - 1;
	if (p->len - p->pos <= n || memcmp(p->src + p->pos, kw, n) != 0 || !is_blank(p->src[p->pos + n]))
		return 0;
	p->pos += n;
	skip_blanks(p);
	return 1;
}

/* wordHasEquals tells a misspelt name (A-B=1) from a line that is not an
 * assignment at all (a command, a stray value). */
static int word_has_equals(const struct parser *p)
{
	for (size_t i = p->pos; i < p->len && !is_blank(p->src[i]) && p->src[i] != '\n'; i++)
		if (p->src[i] == '=')
			return 1;
	return 0;
}

/* name reads NAME= and returns NAME. */
static int name(struct parser *p, const char **name, size_t *len)
{
	size_t start = p->pos;
	while (p->pos < p->len && is_name_byte(p->src[p->pos]))
		p->pos++;
	const unsigned char *s = p->src + start;
	size_t n = p->pos - start;
	if (p->pos == p->len || p->src[p->pos] != '=')
		return refuse(p->e, p->line, word_has_equals(p) ? R_BAD_NAME : R_NOT_ASSIGNMENT, NULL, 0);
	if (!is_name(s, n))
		return refuse(p->e, p->line, R_BAD_NAME, NULL, 0);
	if (is_shell_var((const char *)s, n))
		return refuse(p->e, p->line, R_SHELL_NAME, (const char *)s, n);
	p->pos++; /* = */
	*name = (const char *)s;
	*len = n;
	return OK;
}

/* line_end skips blanks and reads the end of a line there, if it is one:
 * the end of the file, a newline, or a comment and its newline. It
 * reports whether it was (lineEnd). */
static int line_end(struct parser *p)
{
	skip_blanks(p);
	if (p->pos == p->len)
		return 1;
	if (p->src[p->pos] == '\n') {
		newline(p);
		return 1;
	}
	if (p->src[p->pos] == '#') {
		skip_comment(p);
		return 1;
	}
	return 0;
}

/* endOfLine reads what may follow a value: blanks, a comment, the newline. */
static int end_of_line(struct parser *p, const struct value *v)
{
	return line_end(p) ? OK : fail(p, R_WHITESPACE, v);
}

/* assign records the value in scratch as NAME=value in the arena; later
 * expansions see it. */
static int assign(struct parser *p, const struct value *v)
{
	struct dotenv *d = p->d;
	/* total <= MAX_TOTAL and len <= MAX_ENV_STRING: no wrap */
	p->total += v->len;
	if (p->total > MAX_TOTAL)
		return refuse(p->e, v->line, R_TOO_MUCH, v->name, v->name_len);
	if (d->n == d->cap) {
		/* n <= number of lines <= MAX_FILE_SIZE: no wrap */
		size_t cap = d->cap < 16 ? 16 : d->cap * 2;
		struct var *vars = realloc(d->vars, cap * sizeof *vars);
		if (vars == NULL)
			return NO_MEMORY;
		d->vars = vars;
		d->cap = cap;
	}
	/* arena_len <= the file's names, MAX_TOTAL and 2 bytes an assignment:
	 * no wrap, and offsets fit 32 bits */
	size_t size = v->name_len + 1 + v->len + 1;
	if (size > d->arena_cap - d->arena_len) {
		size_t cap = d->arena_cap < 4096 ? 4096 : d->arena_cap;
		while (size > cap - d->arena_len)
			cap *= 2;
		char *arena = realloc(d->arena, cap);
		if (arena == NULL)
			return NO_MEMORY;
		d->arena = arena;
		d->arena_cap = cap;
	}
	if (table_reserve(&d->last, 1) != 0)
		return NO_MEMORY;
	char *w = d->arena + d->arena_len;
	memcpy(w, v->name, v->name_len);
	w += v->name_len;
	*w++ = '=';
	if (v->len > 0)
		memcpy(w, p->scratch, v->len);
	w[v->len] = '\0';
	struct var *a = &d->vars[d->n];
	a->name = v->name;
	a->name_len = (uint32_t)v->name_len;
	a->value = NULL; /* set when parsing ends: the arena may still move */
	a->value_len = (uint32_t)v->len;
	a->value_off = (uint32_t)(w - d->arena);
	a->line = v->line;
	d->arena_len += size;
	table_put(&d->last, v->name, v->name_len)->index = (uint32_t)d->n;
	d->n++;
	return OK;
}

/* statement reads one line: blank, comment or assignment, with its
 * newline. */
static int statement(struct parser *p)
{
	if (line_end(p))
		return OK;
	struct value v = {0};
	v.line = p->line; /* the assignment's line: where it starts */
	int exported = export_keyword(p);
	int r = name(p, &v.name, &v.name_len);
	if (r != OK)
		return r;
	/* name_len < MAX_FILE_SIZE: fits a long */
	v.max = (long)MAX_ENV_STRING - (long)v.name_len - 2;
	r = word(p, &v, exported);
	if (r != OK)
		return r;
	r = end_of_line(p, &v);
	if (r != OK)
		return r;
	return assign(p, &v);
}

void dotenv_free(struct dotenv *d)
{
	free(d->vars);
	free(d->arena);
	table_free(&d->last);
	memset(d, 0, sizeof *d);
}

int dotenv_parse(unsigned char *data, size_t len, const struct env *env, struct dotenv *d, struct dotenv_error *e)
{
	memset(d, 0, sizeof *d);
	memset(e, 0, sizeof *e);
	struct parser p = {0};
	unsigned char *src;
	size_t bound;
	int r = normalize(data, len, &src, &p.len, &bound, e);
	if (r != OK)
		return r;
	/* Room for every assignment the text can hold, and for their
	 * NAME=value strings as long as expansions do not make them longer
	 * than their text: no growing and copying, no rehashing. Large
	 * allocations are mapped, and touched only as far as they are used. */
	if (bound > 0) {
		d->vars = malloc(bound * sizeof *d->vars);
		d->arena = malloc(p.len + bound);
		if (d->vars == NULL || d->arena == NULL || table_reserve(&d->last, bound) != 0) {
			dotenv_free(d);
			return NO_MEMORY;
		}
		d->cap = bound;
		d->arena_cap = p.len + bound;
	}
	p.src = src;
	p.line = 1;
	p.env = env;
	p.d = d;
	p.e = e;
	while (r == OK && p.pos < p.len)
		r = statement(&p);
	free(p.scratch);
	if (r != OK) {
		dotenv_free(d);
		return r;
	}
	for (size_t i = 0; i < d->n; i++)
		d->vars[i].value = d->arena + d->vars[i].value_off;
	return OK;
}
