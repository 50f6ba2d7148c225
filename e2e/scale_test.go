//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The multi-node builder of hack/scale.sh (make e2e-scale): one buildx
// builder (remote driver) of two buildkitd nodes, amd64 native and arm64
// emulated with qemu-user, and a second builder of the arm64 node alone,
// sharing make up's registry.

type scale struct {
	*stack
	Other string // SCALE_OTHER_BUILDER: the arm64 node alone
	Nodes map[string]string
}

func getScale(t *testing.T) *scale {
	t.Helper()
	s := getStack(t)
	sc := &scale{Other: os.Getenv("SCALE_OTHER_BUILDER"), Nodes: map[string]string{
		"amd64": os.Getenv("SCALE_AMD64_HOST"), "arm64": os.Getenv("SCALE_ARM64_HOST"),
	}}
	builder, base := os.Getenv("SCALE_BUILDER"), os.Getenv("SCALE_BASE")
	if builder == "" || base == "" || sc.Other == "" {
		notUp(t, "the multi-node builder is not up: make e2e-scale")
	}
	// The stack with the multi-node builder and the two-platform base.
	c := *s
	c.Builder, c.Base = builder, base
	sc.stack = &c
	return sc
}

// nodeOf is the node whose buildkitd ran a RUN, from the upper dir of the
// RUN's root overlay mount, which lies under that buildkitd's root
// (.local/scale/<node>/root): "mountinfo" is what the RUN wrote from
// /proc/self/mountinfo.
func nodeOf(mountinfo string) string {
	for _, node := range []string{"amd64", "arm64"} {
		if strings.Contains(mountinfo, "/scale/"+node+"/root/") {
			return node
		}
	}
	return "unknown: " + mountinfo
}

// TestScaleSplitAcrossNodes: one linux/amd64,linux/arm64 build on the
// two-node builder runs each platform on its own node (arm64 under
// emulation, with our image's arm64 frontend) and every RUN of both nodes,
// in every form, sees the variables.
func TestScaleSplitAcrossNodes(t *testing.T) {
	sc := getScale(t)
	p := sc.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}} AS build
ARG TARGETARCH
RUN echo "$TARGETARCH $(uname -m) $OTHER_ENV_VAR" > /platform.txt
RUN grep -o 'upperdir=[^,]*' /proc/self/mountinfo | head -1 > /node.txt
RUN ["/bin/sh", "-c", "echo \"$OTHER_ENV_VAR\" > /exec.txt"]
RUN <<EOT
echo "$OTHER_ENV_VAR" > /heredoc.txt
EOT
USER 1000
RUN echo "$(id -u) $OTHER_ENV_VAR" > /tmp/user.txt
FROM scratch
COPY --from=build /platform.txt /node.txt /exec.txt /heredoc.txt /tmp/user.txt /
`})
	out := p.exported("--no-cache", "--secret", "id=_env,src=.env", "--platform", "linux/amd64,linux/arm64")
	for _, arch := range []string{"amd64", "arm64"} {
		machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[arch]
		dir := filepath.Join(out, "linux_"+arch)
		expectFiles(t, dir, map[string]string{
			"platform.txt": arch + " " + machine + " Something else\n",
			"exec.txt":     "Something else\n",
			"heredoc.txt":  "Something else\n",
			"user.txt":     "1000 Something else\n",
		})
		mountinfo := readFile(t, filepath.Join(dir, "node.txt"))
		if node := nodeOf(mountinfo); node != arch {
			t.Errorf("linux/%s ran on node %s", arch, node)
		}
		t.Logf("linux/%s: %s", arch, strings.TrimSpace(mountinfo))
	}
}

// TestScaleRegistryCache: a mode=max registry cache exported by one node
// (amd64, through the two-node builder) serves a build on the other node
// (through another builder): with `# dotenv=cache=secret` the same secret
// takes every RUN from that cache and exports its value; a different secret
// misses it, runs the RUNs and exports its own value. The tokens are new in
// each run: no earlier run's cache can serve them.
func TestScaleRegistryCache(t *testing.T) {
	sc := getScale(t)
	token, other := newCanary(t), newCanary(t)
	ref := registryOf(sc.Base) + "/e2e/scale-cache:" + token[7:19]
	p := sc.project(t, map[string]string{".env": "TOKEN=" + token + "\n", "other.env": "TOKEN=" + other + "\n", "Dockerfile": header + `# dotenv=cache=secret
FROM {{.Base}} AS build
RUN echo "$TOKEN" > /one.txt
RUN grep -o 'upperdir=[^,]*' /proc/self/mountinfo | head -1 > /node.txt && echo "$TOKEN" > /two.txt
FROM scratch
COPY --from=build /one.txt /two.txt /node.txt /
`})
	runs := []string{`RUN echo "$TOKEN" > /one.txt`,
		`RUN grep -o 'upperdir=[^,]*' /proc/self/mountinfo | head -1 > /node.txt && echo "$TOKEN" > /two.txt`}
	args := func(env, dest string, more ...string) []string {
		return append([]string{"--platform", "linux/amd64", "--secret", "id=_env,src=" + env,
			"--output", "type=local,dest=" + dest}, more...)
	}

	dest := filepath.Join(t.TempDir(), "out")
	p.build(args(".env", dest, "--cache-to", "type=registry,mode=max,ref="+ref)...)
	if node := nodeOf(readFile(t, filepath.Join(dest, "node.txt"))); node != "amd64" {
		t.Fatalf("the exporting build ran on node %s, want amd64", node)
	}

	// The other node, the same secret: every RUN from the registry cache,
	// so node.txt still names the node that ran them.
	dest = filepath.Join(t.TempDir(), "out")
	hit := p.build(append([]string{"--builder", sc.Other}, args(".env", dest, "--cache-from", "type=registry,ref="+ref)...)...)
	for _, r := range runs {
		if !stepCached(hit, r) {
			t.Errorf("other node, same secret: %s was not CACHED:\n%s", r, hit)
		}
	}
	expectFiles(t, dest, map[string]string{"one.txt": token + "\n", "two.txt": token + "\n"})
	if node := nodeOf(readFile(t, filepath.Join(dest, "node.txt"))); node != "amd64" {
		t.Errorf("other node, same secret: the RUN result came from node %s, not from the cache of node amd64", node)
	}

	// The other node, another secret: the cache misses, the RUNs run there.
	dest = filepath.Join(t.TempDir(), "out")
	miss := p.build(append([]string{"--builder", sc.Other}, args("other.env", dest, "--cache-from", "type=registry,ref="+ref)...)...)
	for _, r := range runs {
		if stepCached(miss, r) {
			t.Errorf("other node, other secret: %s was CACHED:\n%s", r, miss)
		}
	}
	expectFiles(t, dest, map[string]string{"one.txt": other + "\n", "two.txt": other + "\n"})
	if node := nodeOf(readFile(t, filepath.Join(dest, "node.txt"))); node != "arm64" {
		t.Errorf("other node, other secret: the RUN ran on node %s, want arm64", node)
	}
}
