//go:build e2e && release

// The checks of a published release: make release-check publishes one and
// runs them (go test -tags "e2e release"), the only place they build.

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The release of hack/release.sh, checked by make release-check (part of
// make test) after it published one to the stack's registry. RELEASE_* say
// what it published.
type release struct {
	Image      string // RELEASE_IMAGE, repo:x.y.z
	Repo       string
	Digest     string // RELEASE_DIGEST, of the index
	Reproduced string // RELEASE_REPRODUCED, the index of the second build (no attestations)
	Version    string // RELEASE_VERSION
	Revision   string // RELEASE_REVISION
	Epoch      int64  // RELEASE_EPOCH
	PublicKey  string // RELEASE_PUBLIC_KEY, cosign's
	Loader     bool   // RELEASE_LOADER=true: the release has the loader (loader/main.c)
}

func getRelease(t *testing.T) *release {
	t.Helper()
	r := &release{
		Image: os.Getenv("RELEASE_IMAGE"), Digest: os.Getenv("RELEASE_DIGEST"),
		Reproduced: os.Getenv("RELEASE_REPRODUCED"), Version: os.Getenv("RELEASE_VERSION"),
		Revision: os.Getenv("RELEASE_REVISION"), PublicKey: os.Getenv("RELEASE_PUBLIC_KEY"),
		Loader: os.Getenv("RELEASE_LOADER") == "true",
	}
	if r.Image == "" {
		t.Fatal("no release to check: RELEASE_IMAGE is not set (make release-check publishes one and runs these tests)")
	}
	r.Repo = r.Image[:strings.LastIndex(r.Image, ":")]
	var err error
	if r.Epoch, err = strconv.ParseInt(os.Getenv("RELEASE_EPOCH"), 10, 64); err != nil {
		t.Fatal(err)
	}
	return r
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	} `json:"platform"`
}

type manifest struct {
	Manifests []descriptor `json:"manifests"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

type imageConfig struct {
	Created string `json:"created"`
	Config  struct {
		Env        []string          `json:"Env"`
		Entrypoint []string          `json:"Entrypoint"`
		Cmd        []string          `json:"Cmd"`
		WorkingDir string            `json:"WorkingDir"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
}

func crane(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "crane", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("crane %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func getJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	if err := json.Unmarshal(crane(t, args...), v); err != nil {
		t.Fatalf("crane %s: %v", strings.Join(args, " "), err)
	}
}

func (d descriptor) platform() string {
	p := d.Platform.OS + "/" + d.Platform.Architecture
	if d.Platform.Variant != "" {
		p += "/" + d.Platform.Variant
	}
	return p
}

// images: platform -> image manifest digest of an index, and its
// attestation manifests by the digest they are about.
func images(t *testing.T, ref string) (map[string]string, map[string]string) {
	t.Helper()
	var idx manifest
	getJSON(t, &idx, "manifest", ref)
	imgs, atts := map[string]string{}, map[string]string{}
	for _, d := range idx.Manifests {
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			atts[d.Annotations["vnd.docker.reference.digest"]] = d.Digest
			continue
		}
		imgs[d.platform()] = d.Digest
	}
	return imgs, atts
}

// upstreamPlatforms: those of upstream's docker/dockerfile image, BuildKit's
// docker-bake.hcl target frontend-image-cross.
func upstreamPlatforms(t *testing.T) []string {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/moby/buildkit").Output()
	if err != nil {
		t.Fatal(err)
	}
	bake := readFile(t, filepath.Join(strings.TrimSpace(string(dir)), "docker-bake.hcl"))
	m := regexp.MustCompile(`(?s)target "frontend-image-cross" \{.*?platforms = \[(.*?)\]`).FindStringSubmatch(bake)
	if m == nil {
		t.Fatal("docker-bake.hcl has no frontend-image-cross platforms")
	}
	var ps []string
	for _, p := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
		ps = append(ps, p[1])
	}
	return ps
}

func TestReleaseIndex(t *testing.T) {
	r := getRelease(t)
	imgs, atts := images(t, r.Repo+"@"+r.Digest)
	var got []string
	for p := range imgs {
		got = append(got, p)
	}
	want := upstreamPlatforms(t)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("platforms %v, upstream's image has %v", got, want)
	}
	for p, d := range imgs {
		if atts[d] == "" {
			t.Errorf("%s: no attestation manifest", p)
		}
	}

	// The tags: x.y.z, x.y, x (the first release of its line).
	v := strings.Split(r.Version, ".")
	for _, tag := range []string{r.Version, v[0] + "." + v[1], v[0]} {
		if d := strings.TrimSpace(string(crane(t, "digest", r.Repo+":"+tag))); d != r.Digest {
			t.Errorf("tag %s is %s, not the release %s", tag, d, r.Digest)
		}
	}

	// Reproducible: a second build without cache gave the same images.
	again, _ := images(t, r.Repo+"@"+r.Reproduced)
	if !mapsEqual(imgs, again) {
		t.Errorf("the second build's images differ:\nrelease %v\nagain   %v", imgs, again)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Each platform's config: upstream's frontend labels (./Dockerfile is
// checked against upstream by TestImageLabels), the OCI labels of the
// release, created at SOURCE_DATE_EPOCH; the two layers of ./Dockerfile.
func TestReleaseImages(t *testing.T) {
	r := getRelease(t)
	imgs, _ := images(t, r.Repo+"@"+r.Digest)
	created := time.Unix(r.Epoch, 0).UTC().Format(time.RFC3339)
	for p, d := range imgs {
		var cfg imageConfig
		getJSON(t, &cfg, "config", r.Repo+"@"+d)
		for k, v := range map[string]string{
			"org.opencontainers.image.version":    r.Version,
			"org.opencontainers.image.revision":   r.Revision,
			"org.opencontainers.image.source":     "https://github.com/dockerfile-dotenv/dockerfile-dotenv",
			"moby.buildkit.frontend.network.none": "true",
		} {
			if cfg.Config.Labels[k] != v {
				t.Errorf("%s: label %s=%q, want %q", p, k, cfg.Config.Labels[k], v)
			}
		}
		if cfg.Config.Labels["moby.buildkit.frontend.caps"] == "" {
			t.Errorf("%s: no caps label", p)
		}
		if cfg.Created != created {
			t.Errorf("%s: created %s, want SOURCE_DATE_EPOCH %s", p, cfg.Created, created)
		}
		files := layerFiles(t, r.Repo, d)
		want := [][]string{{"bin/"}, {"bin/", "bin/dockerfile-dotenv"}}
		if r.Loader {
			want[0] = append(want[0], "bin/dotenv-loader")
		}
		if !slices.EqualFunc(files, want, slices.Equal) {
			t.Errorf("%s: layers %v, want %v", p, files, want)
		}
	}
}

// layerFiles: the names in each layer of an image, in order.
func layerFiles(t *testing.T, repo, digest string) [][]string {
	t.Helper()
	var m manifest
	getJSON(t, &m, "manifest", repo+"@"+digest)
	var layers [][]string
	for _, l := range m.Layers {
		var names []string
		for _, h := range layerEntries(t, repo, l.Digest) {
			names = append(names, strings.TrimPrefix(h.Name, "./"))
		}
		slices.Sort(names)
		layers = append(layers, names)
	}
	return layers
}

type entry struct {
	*tar.Header
	data []byte
}

func layerEntries(t *testing.T, repo, digest string) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(crane(t, "blob", repo+"@"+digest)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var es []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, entry{h, dt})
	}
}

// file: the content of a file of an image's layers, or nil.
func file(t *testing.T, repo, digest, name string) []byte {
	t.Helper()
	var m manifest
	getJSON(t, &m, "manifest", repo+"@"+digest)
	var dt []byte
	for _, l := range m.Layers {
		for _, e := range layerEntries(t, repo, l.Digest) {
			if strings.TrimPrefix(e.Name, "./") == name {
				dt = e.data
			}
		}
	}
	return dt
}

// qemu names the qemu-user-static emulator of each platform; "" runs natively.
var qemu = map[string]string{
	"linux/386": "qemu-i386-static", "linux/amd64": "", "linux/arm/v7": "qemu-arm-static",
	"linux/arm64": "qemu-aarch64-static", "linux/mips": "qemu-mips-static", "linux/mipsle": "qemu-mipsel-static",
	"linux/mips64": "qemu-mips64-static", "linux/mips64le": "qemu-mips64el-static",
	"linux/s390x": "qemu-s390x-static", "linux/ppc64le": "qemu-ppc64le-static", "linux/riscv64": "qemu-riscv64-static",
}

// goRunsUnder reports whether the emulator emu runs a Go program for
// platform p at all (one that only prints), with what it printed: when it
// does not, a failure of the frontend under it says nothing about the
// frontend. Debian bookworm's qemu-i386 7.2 crashes every Go 386 program in
// its runtime (new threads), a different way each time; kernels with IA32
// emulation run them natively.
func goRunsUnder(t *testing.T, p, emu string) (bool, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":  "module control\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() { println(\"ok\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parts := strings.Split(p, "/")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", "control", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+parts[0], "GOARCH="+parts[1])
	if len(parts) == 3 {
		build.Env = append(build.Env, "GOARM="+strings.TrimPrefix(parts[2], "v"))
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building a Go program for %s: %v\n%s", p, err, out)
	}
	out, err := exec.CommandContext(t.Context(), emu, filepath.Join(dir, "control")).CombinedOutput()
	return err == nil && string(out) == "ok\n", string(out)
}

// elfMachine of each platform, for the loader (run by the lead's tests).
var elfMachine = map[string]elf.Machine{
	"linux/386": elf.EM_386, "linux/amd64": elf.EM_X86_64, "linux/arm/v7": elf.EM_ARM,
	"linux/arm64": elf.EM_AARCH64, "linux/mips": elf.EM_MIPS, "linux/mipsle": elf.EM_MIPS,
	"linux/mips64": elf.EM_MIPS, "linux/mips64le": elf.EM_MIPS,
	"linux/s390x": elf.EM_S390, "linux/ppc64le": elf.EM_PPC64, "linux/riscv64": elf.EM_RISCV,
}

// Every platform's frontend runs (under qemu-user-static) and says which
// release it is; every platform's loader is a static binary for it and runs
// there (C: also under the qemu-i386 that crashes Go 386 programs).
func TestReleaseBinaries(t *testing.T) {
	r := getRelease(t)
	imgs, _ := images(t, r.Repo+"@"+r.Digest)
	dir := t.TempDir()
	for p, d := range imgs {
		t.Run(strings.ReplaceAll(p, "/", "-"), func(t *testing.T) {
			bin := filepath.Join(dir, strings.ReplaceAll(p, "/", "-"))
			if err := os.WriteFile(bin, file(t, r.Repo, d, "bin/dockerfile-dotenv"), 0o755); err != nil {
				t.Fatal(err)
			}
			emu, ok := qemu[p]
			if !ok {
				t.Fatalf("no emulator known for %s", p)
			}
			if r.Loader {
				loaderRuns(t, r, d, p, emu, bin+"-loader")
			}
			args := []string{bin, "--version"}
			if emu != "" {
				args = append([]string{emu}, args...)
			}
			out, err := exec.CommandContext(t.Context(), args[0], args[1:]...).CombinedOutput()
			if err != nil && emu != "" {
				if ok, control := goRunsUnder(t, p, emu); !ok {
					t.Logf("%s under %s fails, as any Go program for it does here (not a defect of the binary, checked as an ELF file instead):\n%.300s\na Go program that only prints:\n%.300s",
						p, emu, out, control)
					staticFor(t, p, bin)
					return
				}
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
			}
			want := "dockerfile-dotenv " + r.Version + "\ncommit: " + r.Revision + "\n"
			if !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), "\nloader: v") {
				t.Errorf("%s --version:\n%s\nwant it to start with\n%s", p, out, want)
			}
			staticFor(t, p, bin)
		})
	}
}

// loaderRuns: the loader of platform p, from the image with digest d, is a
// static binary for p that runs there: asked to run a command that does not
// exist, it reads its flags, finds no secret file and fails as runc would.
func loaderRuns(t *testing.T, r *release, d, p, emu, loader string) {
	t.Helper()
	if err := os.WriteFile(loader, file(t, r.Repo, d, "bin/dotenv-loader"), 0o755); err != nil {
		t.Fatal(err)
	}
	staticFor(t, p, loader)
	args := []string{loader, "--id=_env", "--file=/nonexistent/_env", "--", "no-such-command"}
	if emu != "" {
		args = append([]string{emu}, args...)
	}
	cmd := exec.CommandContext(t.Context(), args[0], args[1:]...)
	cmd.Env = []string{"PATH=/nonexistent"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	want := "dockerfile-dotenv: exec: \"no-such-command\": executable file not found in $PATH\n"
	if !errors.As(err, &ee) || ee.ExitCode() != 127 || string(out) != want {
		t.Errorf("%s: %s: %v\n%s\nwant exit 127 and %q", p, strings.Join(args, " "), err, out, want)
	}
}

func staticFor(t *testing.T, platform, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elfMachine[platform] {
		t.Errorf("%s: %s is for %s", platform, filepath.Base(path), f.Machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s: %s is not static", platform, filepath.Base(path))
		}
	}
}

// SBOM and provenance (mode=max) for each platform, naming the commit.
func TestReleaseAttestations(t *testing.T) {
	r := getRelease(t)
	imgs, atts := images(t, r.Repo+"@"+r.Digest)
	for p, d := range imgs {
		var m manifest
		getJSON(t, &m, "manifest", r.Repo+"@"+atts[d])
		types := map[string]string{}
		for _, l := range m.Layers {
			types[l.Annotations["in-toto.io/predicate-type"]] = l.Digest
		}
		sbom := types["https://spdx.dev/Document"]
		if sbom == "" {
			t.Errorf("%s: no SBOM in %v", p, types)
		} else if s := string(crane(t, "blob", r.Repo+"@"+sbom)); !strings.Contains(s, `"/bin/dockerfile-dotenv"`) {
			t.Errorf("%s: the SBOM does not list /bin/dockerfile-dotenv:\n%.500s", p, s)
		}
		prov := types["https://slsa.dev/provenance/v1"]
		if prov == "" {
			prov = types["https://slsa.dev/provenance/v0.2"]
		}
		if prov == "" {
			t.Errorf("%s: no provenance in %v", p, types)
			continue
		}
		s := string(crane(t, "blob", r.Repo+"@"+prov))
		if !strings.Contains(s, `"revision":"`+r.Revision+`"`) {
			t.Errorf("%s: the provenance does not name the commit %s:\n%.1000s", p, r.Revision, s)
		}
		if !strings.Contains(s, `"buildConfig"`) || !strings.Contains(s, `"llbDefinition"`) {
			t.Errorf("%s: the provenance is not mode=max (no buildConfig)", p)
		}
	}
}

// cosign verify with the release key passes; with another key it fails.
func TestReleaseSignature(t *testing.T) {
	r := getRelease(t)
	verify := func(key string) (string, error) {
		out, err := exec.CommandContext(t.Context(), "cosign", "verify", "--key", key,
			"--insecure-ignore-tlog", "--allow-http-registry", "--allow-insecure-registry", r.Image).CombinedOutput()
		return string(out), err
	}
	out, err := verify(r.PublicKey)
	if err != nil {
		t.Fatalf("cosign verify: %v\n%s", err, out)
	}
	if !strings.Contains(out, r.Digest) || !strings.Contains(out, `"revision":"`+r.Revision+`"`) {
		t.Errorf("cosign verify does not name the digest %s and revision %s:\n%s", r.Digest, r.Revision, out)
	}
	dir := t.TempDir()
	gen := exec.CommandContext(t.Context(), "cosign", "generate-key-pair")
	gen.Dir, gen.Env = dir, append(os.Environ(), "COSIGN_PASSWORD=other")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	if out, err := verify(filepath.Join(dir, "cosign.pub")); err == nil {
		t.Errorf("cosign verify passed with another key:\n%s", out)
	}
}

// The dev image of make up (hack/dev-image.sh) is the release's layout and
// config, and its loader has the release's bytes: they key wrapped RUNs.
func TestReleaseDevImage(t *testing.T) {
	r := getRelease(t)
	s := getStack(t)
	rel, _ := images(t, r.Repo+"@"+r.Digest)
	dev, _ := images(t, s.Frontend)
	for p, d := range dev {
		if rel[p] == "" {
			t.Errorf("the release has no %s, the dev image has", p)
			continue
		}
		var rc, dc imageConfig
		getJSON(t, &rc, "config", r.Repo+"@"+rel[p])
		getJSON(t, &dc, "config", s.Frontend+"@"+d)
		for _, k := range []string{"org.opencontainers.image.version", "org.opencontainers.image.revision"} {
			delete(rc.Config.Labels, k)
			delete(dc.Config.Labels, k)
		}
		rj, _ := json.Marshal(rc.Config)
		dj, _ := json.Marshal(dc.Config)
		if !bytes.Equal(rj, dj) {
			t.Errorf("%s: config\ndev     %s\nrelease %s", p, dj, rj)
		}
		rf, df := layerFiles(t, r.Repo, rel[p]), layerFiles(t, s.Frontend, d)
		if len(df) == 1 { // a loader-only platform of the dev image
			rf = rf[:1]
		}
		if !slices.EqualFunc(rf, df, slices.Equal) {
			t.Errorf("%s: layers\ndev     %v\nrelease %v", p, df, rf)
		}
		if l := file(t, r.Repo, rel[p], "bin/dotenv-loader"); l != nil {
			if sum(l) != sum(file(t, s.Frontend, d, "bin/dotenv-loader")) {
				t.Errorf("%s: the dev image's loader differs from the release's", p)
			}
		}
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// A build for linux/386 on this amd64 builder takes our image's linux/386
// variant: the frontend it copies is the release's 386 binary.
func TestReleaseForeignPlatform(t *testing.T) {
	r := getRelease(t)
	s := getStack(t)
	imgs, _ := images(t, r.Repo+"@"+r.Digest)
	if imgs["linux/386"] == "" {
		t.Fatal("the release has no linux/386")
	}
	p := s.project(t, map[string]string{"Dockerfile": `
FROM scratch
COPY --from=` + r.Image + ` /bin/dockerfile-dotenv /frontend
`})
	out := p.exported("--platform", "linux/386")
	got := readFile(t, filepath.Join(out, "frontend"))
	if sum([]byte(got)) != sum(file(t, r.Repo, imgs["linux/386"], "bin/dockerfile-dotenv")) {
		t.Error("a linux/386 build did not take the release's linux/386 frontend")
	}
	staticFor(t, "linux/386", filepath.Join(out, "frontend"))
}
