package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	cases := []struct {
		in   string
		want Config
	}{
		{"required", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true, Required: true}},
		{"required=false", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true}},
		{"off", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true, Off: true}},
		{"OFF=1", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true, Off: true}},
		{" id=build.vars , target=/etc/secrets/.env ", Config{ID: "build.vars", Cache: "shared", Loader: "program", Mask: true, Target: "/etc/secrets/.env"}},
		{"stage=Build,stage=test", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true, Stages: []string{"build", "test"}}},
		{"cache=secret", Config{ID: "_env", Cache: "secret", Loader: "program", Mask: true}},
		{"loader=shell", Config{ID: "_env", Cache: "shared", Loader: "shell", Mask: true}},
		{"target=/etc/secrets/.env", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true, Target: "/etc/secrets/.env"}},
		{"mask=false", Config{ID: "_env", Cache: "shared", Loader: "program"}},
		{"MASK=0,loader=shell", Config{ID: "_env", Cache: "shared", Loader: "shell"}},
		{"mask", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true}},
		{"target=/run/secrets/_env", Config{ID: "_env", Cache: "shared", Loader: "program", Mask: true, Target: "/run/secrets/_env"}},
	}
	for _, tc := range cases {
		got, err := Default().Apply(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// TestApplyLayers: later settings win key by key; a stage key replaces the
// earlier list instead of adding to it.
func TestApplyLayers(t *testing.T) {
	c, err := Default().Apply("stage=a,stage=b,required")
	if err != nil {
		t.Fatal(err)
	}
	if c, err = c.Apply("id=x"); err != nil {
		t.Fatal(err)
	}
	if want := (Config{ID: "x", Cache: "shared", Loader: "program", Mask: true, Required: true, Stages: []string{"a", "b"}}); !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c, err = c.Apply("stage=c"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Stages, []string{"c"}) {
		t.Errorf("stages %v, want [c]", c.Stages)
	}
	if got := c.MountTarget(); got != "/run/secrets/x" {
		t.Errorf("default target %s", got)
	}
}

func TestApplyErrors(t *testing.T) {
	cases := map[string]string{
		"":                "empty setting",
		"colour=blue":     `unknown key "colour" (known: id, target, required, stage, off, cache, loader, mask)`,
		"cache=yes":       `cache: "yes" is neither shared nor secret`,
		"required=maybe":  `required: "maybe" is not a boolean`,
		"mask=sometimes":  `mask: "sometimes" is not a boolean`,
		"id=":             "id: empty value",
		"id=a b":          `id: "a b" is not a secret id`,
		"id=$(x)":         `id: "$(x)" is not a secret id`,
		"target=relative": `target: "relative" is not a clean absolute path`,
		"target=/a/../b":  `target: "/a/../b" is not a clean absolute path`,
		"target=/a;rm":    `target: "/a;rm" is not a clean absolute path`,
		"target=/":        `target: "/" is not a clean absolute path`,
		"stage":           "stage: needs a stage name",
		"required,,off":   "empty key",
		"loader=v3":       `loader: "v3" is neither program nor shell`,
		// Every key but stage once: the last would win silently.
		"id=a,id=b":                            "id: given twice",
		"required,required=no":                 "required: given twice",
		"mask=false,mask":                      "mask: given twice",
		"ID=a,id=b":                            "id: given twice",
		"id=.":                                 `id: "." is not a secret id`,
		"id=..":                                `id: ".." is not a secret id`,
		"target=/proc/self/env":                "is in /proc, which the container runtime mounts",
		"target=/sys/x":                        "is in /sys",
		"target=/dev/null":                     "is in /dev",
		"target=/etc/hosts":                    "is a file the container runtime provides",
		"target=/etc/resolv.conf":              "is a file the container runtime provides",
		"target=/tmp":                          "is a standard directory",
		"target=/run":                          "overlaps /run/dockerfile-dotenv",
		"target=/run/secrets":                  "is a standard directory",
		"target=/bin/sh":                       "is in a directory of commands",
		"target=/run/dockerfile-dotenv/loader": "overlaps /run/dockerfile-dotenv",
		"target=/run/dotenv-cachekey":          "overlaps /run/dotenv-cachekey",
		"target=/run/dotenv-cachekey/_env":     "overlaps /run/dotenv-cachekey",
	}
	for in, want := range cases {
		_, err := Default().Apply(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}
