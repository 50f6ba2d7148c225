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
// environment, in file order), and every other entry of env is kept as it
// is. Nothing else is added.
func Environ(env []string, vars []Var) []string {
	final := make(map[string]string, len(vars))
	var order []string
	for _, v := range vars {
		if _, ok := final[v.Name]; !ok {
			order = append(order, v.Name)
		}
		final[v.Name] = v.Value
	}
	out := make([]string, 0, len(env)+len(order))
	done := make(map[string]bool, len(order))
	for _, kv := range env {
		name, _, _ := cut(kv)
		value, mine := final[name]
		switch {
		case !mine:
			out = append(out, kv)
		case !done[name]:
			out = append(out, name+"="+value)
			done[name] = true
		}
	}
	for _, name := range order {
		if !done[name] {
			out = append(out, name+"="+final[name])
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
