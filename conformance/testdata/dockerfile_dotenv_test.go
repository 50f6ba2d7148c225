package dockerfile

// dockerfile-dotenv's own tests in BuildKit's Dockerfile integration suite.
// conformance/run.sh copies this file into the suite's package (Go tooling
// ignores testdata/ here) and runs it against our image only: each test proves,
// for our frontend, the behaviour an upstream test protects where that test
// cannot pass with RUN wrapped (see conformance/DIFFERENCES.md).

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/continuity/fs/fstest"
	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	provenancetypes "github.com/moby/buildkit/solver/llbsolver/provenance/types"
	"github.com/moby/buildkit/util/contentutil"
	"github.com/moby/buildkit/util/testutil"
	"github.com/moby/buildkit/util/testutil/integration"
	"github.com/moby/buildkit/util/testutil/workers"
	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"
	"github.com/tonistiigi/fsutil"
)

func init() {
	allTests = append(allTests, integration.TestFuncs(
		testDotenvSecretSSHProvenance,
	)...)
}

// testDotenvSecretSSHProvenance is upstream's testSecretSSHProvenance with
// the dotenv secret passed: the provenance lists every secret and SSH socket
// the build's RUNs request, by id and optional flag, now with `_env` (optional,
// as the pass mounts it) among them, and never a value; the variables arrive.
func testDotenvSecretSSHProvenance(t *testing.T, sb integration.Sandbox) {
	integration.SkipOnPlatform(t, "windows")
	workers.CheckFeatureCompat(t, sb, workers.FeatureDirectPush, workers.FeatureProvenance)
	ctx := sb.Context()

	c, err := client.New(ctx, sb.Address())
	require.NoError(t, err)
	defer c.Close()

	registry, err := sb.NewRegistry()
	if errors.Is(err, integration.ErrRequirements) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)

	f := getFrontend(t, sb)

	const value = "dotenv-conformance-value-7f3a"
	dockerfile := []byte(`
FROM busybox:latest
RUN --mount=type=secret,id=mysecret --mount=type=secret,id=othersecret --mount=type=ssh echo "ok" > /foo
RUN printf %s "$DOTENV_TOKEN" | wc -c > /token-length
`)
	dir := integration.Tmpdir(
		t,
		fstest.CreateFile("Dockerfile", dockerfile, 0600),
	)

	target := registry + "/buildkit/testdotenvprovenance:latest"
	_, err = f.Solve(sb.Context(), c, client.SolveOpt{
		LocalMounts: map[string]fsutil.FS{
			dockerui.DefaultLocalNameDockerfile: dir,
			dockerui.DefaultLocalNameContext:    dir,
		},
		FrontendAttrs: map[string]string{
			"attest:provenance": "mode=max",
		},
		Session: []session.Attachable{secretsprovider.FromMap(map[string][]byte{
			"_env": []byte("DOTENV_TOKEN=" + value + "\n"),
		})},
		Exports: []client.ExportEntry{
			{
				Type: client.ExporterImage,
				Attrs: map[string]string{
					"name": target,
					"push": "true",
				},
			},
		},
	}, nil)
	require.NoError(t, err)

	desc, provider, err := contentutil.ProviderFromRef(sb.Context(), target)
	require.NoError(t, err)
	imgs, err := testutil.ReadImages(sb.Context(), provider, desc)
	require.NoError(t, err)
	require.Equal(t, 2, len(imgs.Images))

	expPlatform := platforms.Format(platforms.Normalize(platforms.DefaultSpec()))
	img := imgs.Find(expPlatform)
	require.NotNil(t, img)
	require.Equal(t, []byte("ok\n"), img.Layers[1]["foo"].Data)
	require.Equal(t, strconv.Itoa(len(value)), strings.TrimSpace(string(img.Layers[2]["token-length"].Data)))

	att := imgs.FindAttestation(expPlatform)
	require.NotContains(t, string(att.LayersRaw[0]), value)
	type stmtT struct {
		Predicate provenancetypes.ProvenancePredicateSLSA1 `json:"predicate"`
	}
	var stmt stmtT
	require.NoError(t, json.Unmarshal(att.LayersRaw[0], &stmt))
	req := stmt.Predicate.BuildDefinition.ExternalParameters.Request

	type secret struct {
		ID       string
		Optional bool
	}
	var secrets []secret
	for _, s := range req.Secrets {
		secrets = append(secrets, secret{s.ID, s.Optional})
	}
	require.Equal(t, []secret{{"_env", true}, {"mysecret", true}, {"othersecret", true}}, secrets)
	require.Equal(t, 1, len(req.SSH), "%+v", req.SSH)
	require.Equal(t, "default", req.SSH[0].ID)
	require.True(t, req.SSH[0].Optional)
}
