/*
 * Messages, and the two Go behaviours their words come from: strconv.Quote
 * for the command's name and flags, syscall.Errno's texts for the system's
 * errors. The loader's messages are byte for byte the Go loader's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "printable.h"

void text_add(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	/* len + n + 1 (the NUL) must not wrap. */
	if (n > SIZE_MAX / 2 - 1 - t->len) {
		t->oom = 1;
		return;
	}
	size_t need = t->len + n + 1;
	if (need > t->cap) {
		size_t cap = t->cap < 64 ? 64 : t->cap;
		while (cap < need)
			cap *= 2; /* need < SIZE_MAX / 2: cannot wrap */
		char *s2 = realloc(t->s, cap);
		if (s2 == NULL) {
			t->oom = 1;
			return;
		}
		t->s = s2;
		t->cap = cap;
	}
	if (n > 0)
		memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

void text_uint(struct text *t, unsigned long n)
{
	char buf[24]; /* 2^64 has 20 digits */
	size_t i = sizeof buf;
	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0 && i > 0);
	text_add(t, buf + i, sizeof buf - i);
}

char *text_done(struct text *t)
{
	if (t->oom) {
		free(t->s);
		t->s = NULL;
		return NULL;
	}
	if (t->s == NULL)
		text_add(t, "", 0); /* an empty text is "", not NULL */
	if (t->oom)
		return NULL;
	char *s = t->s;
	t->s = NULL;
	t->len = t->cap = 0;
	return s;
}

static char oom_msg[] = "loader: out of memory";

struct failure out_of_memory(void)
{
	struct failure f = {EXIT_LOAD_FAILED, oom_msg};
	return f;
}

/* Go's utf8.DecodeRune: the second byte's range depends on the first, so
 * that overlong forms, surrogates and runes past U+10FFFF are invalid. */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *rune)
{
	unsigned char c = s[0];
	size_t width;
	unsigned char lo = 0x80, hi = 0xBF;
	unsigned long r;

	*rune = 0xFFFD;
	if (c < 0x80) {
		*rune = c;
		return 1;
	}
	if (c < 0xC2 || c > 0xF4)
		return 1;
	if (c < 0xE0) {
		width = 2;
		r = c & 0x1F;
	} else if (c < 0xF0) {
		width = 3;
		r = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else {
		width = 4;
		r = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	if (n < width)
		return 1;
	if (s[1] < lo || s[1] > hi)
		return 1;
	for (size_t i = 1; i < width; i++) {
		if (i > 1 && (s[i] < 0x80 || s[i] > 0xBF))
			return 1;
		r = r << 6 | (s[i] & 0x3F);
	}
	*rune = r;
	return width;
}

static int is_print(unsigned long r)
{
	size_t lo = 0, hi = sizeof printable / sizeof printable[0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r < printable[mid][0])
			hi = mid;
		else if (r > printable[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static void text_hex(struct text *t, const char *prefix, unsigned long v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	char buf[8];
	text_str(t, prefix);
	for (int i = 0; i < digits && i < (int)sizeof buf; i++)
		buf[i] = hex[(v >> (4 * (digits - 1 - i))) & 0xF];
	text_add(t, buf, (size_t)digits);
}

/* text_quote is strconv.Quote (appendQuotedWith with quote '"', neither
 * ASCIIonly nor graphicOnly). */
void text_quote(struct text *t, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	text_add(t, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned long r;
		size_t w = utf8_decode(s + i, n - i, &r);
		if (w == 1 && r == 0xFFFD) {
			text_hex(t, "\\x", s[i], 2); /* a byte that is not UTF-8 */
			i++;
			continue;
		}
		if (r == '"' || r == '\\') {
			text_add(t, "\\", 1);
			text_add(t, (const char *)s + i, w);
		} else if (is_print(r)) {
			text_add(t, (const char *)s + i, w); /* as it is: valid UTF-8 */
		} else {
			switch (r) {
			case '\a': text_str(t, "\\a"); break;
			case '\b': text_str(t, "\\b"); break;
			case '\f': text_str(t, "\\f"); break;
			case '\n': text_str(t, "\\n"); break;
			case '\r': text_str(t, "\\r"); break;
			case '\t': text_str(t, "\\t"); break;
			case '\v': text_str(t, "\\v"); break;
			default:
				if (r < ' ' || r == 0x7F)
					text_hex(t, "\\x", r, 2);
				else if (r < 0x10000)
					text_hex(t, "\\u", r, 4);
				else
					text_hex(t, "\\U", r, 8);
			}
		}
		i += w;
	}
	text_add(t, "\"", 1);
}

/* Go's texts (zerrors_linux_*.go) for the errors that opening, reading,
 * stat, faccessat and execve can give, local and network file systems
 * included. Go's table has every errno; a missing one here is worded
 * "errno N" (TestErrnoTextsAsGo lists which). */
static const struct {
	int err;
	const char *text;
} errno_texts[] = {
	{EPERM, "operation not permitted"},
	{ENOENT, "no such file or directory"},
	{EINTR, "interrupted system call"},
	{EIO, "input/output error"},
	{ENXIO, "no such device or address"},
	{E2BIG, "argument list too long"},
	{ENOEXEC, "exec format error"},
	{EBADF, "bad file descriptor"},
	{EAGAIN, "resource temporarily unavailable"},
	{ENOMEM, "cannot allocate memory"},
	{EACCES, "permission denied"},
	{EFAULT, "bad address"},
	{EBUSY, "device or resource busy"},
	{ENODEV, "no such device"},
	{ENOTDIR, "not a directory"},
	{EISDIR, "is a directory"},
	{EINVAL, "invalid argument"},
	{ENFILE, "too many open files in system"},
	{EMFILE, "too many open files"},
	{ETXTBSY, "text file busy"},
	{EFBIG, "file too large"},
	{ENAMETOOLONG, "file name too long"},
	{ENOSYS, "function not implemented"},
	{ELOOP, "too many levels of symbolic links"},
	{ENODATA, "no data available"},
	{ENOLINK, "link has been severed"},
	{EBADMSG, "bad message"},
	{EOVERFLOW, "value too large for defined data type"},
	{ELIBBAD, "accessing a corrupted shared library"},
	{EOPNOTSUPP, "operation not supported"},
	{ENOTCONN, "transport endpoint is not connected"},
	{ETIMEDOUT, "connection timed out"},
	{ECONNREFUSED, "connection refused"},
	{EHOSTDOWN, "host is down"},
	{ESTALE, "stale file handle"},
	{EUCLEAN, "structure needs cleaning"},
	{EREMOTEIO, "remote I/O error"},
	{ENOMEDIUM, "no medium found"},
	{ECANCELED, "operation canceled"},
	{ENOKEY, "required key not available"},
	{EKEYEXPIRED, "key has expired"},
	{EKEYREVOKED, "key has been revoked"},
};

const char *go_errno_text(int err)
{
	for (size_t i = 0; i < sizeof errno_texts / sizeof errno_texts[0]; i++)
		if (errno_texts[i].err == err)
			return errno_texts[i].text;
	return NULL;
}

void text_errno(struct text *t, int err)
{
	const char *s = go_errno_text(err);
	if (s != NULL) {
		text_str(t, s);
		return;
	}
	text_str(t, "errno ");
	if (err < 0) { /* errno is positive; as Go prints a negative one */
		text_str(t, "-");
		text_uint(t, 0UL - (unsigned long)err);
	} else {
		text_uint(t, (unsigned long)err);
	}
}
