package dotenv

// EnvLookup returns a Lookup over an environment of NAME=value strings. A
// name set twice has its last value, as the shells read it.
func EnvLookup(env []string) Lookup {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if name, value, ok := cut(kv); ok {
			m[name] = value
		}
	}
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Environ returns env with vars set on top: the last assignment of each
// name wins over the environment's and over earlier ones, each name of the
// file appears once (where the environment had it first, else after the
// environment, in the order of the last assignments), and every other entry
// of env is kept as it is. Nothing else is added.
func Environ(env []string, vars []Var) []string {
	last := make(map[string]int, len(vars)) // name -> index of its last Var; -1 once written
	for i, v := range vars {
		last[v.Name] = i
	}
	out := make([]string, 0, len(env)+len(last))
	for _, kv := range env {
		name, _, _ := cut(kv)
		i, mine := last[name]
		switch {
		case !mine:
			out = append(out, kv)
		case i >= 0:
			out = append(out, name+"="+vars[i].Value)
			last[name] = -1
		}
	}
	for i, v := range vars {
		if last[v.Name] == i {
			out = append(out, v.Name+"="+v.Value)
		}
	}
	return out
}

// cut splits NAME=value at the first =.
func cut(kv string) (name, value string, ok bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}
