package frontend

import (
	"encoding/json"

	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
)

// resultJSON is the metadata key of a subrequest's answer (convertllb,
// outline, lint).
const resultJSON = "result.json"

// resultOf returns the answer of the subrequest what in res.
func resultOf(res *client.Result, what string) ([]byte, error) {
	dt, ok := res.Metadata[resultJSON]
	if !ok {
		return nil, errors.Errorf("%s result has no %s", what, resultJSON)
	}
	return dt, nil
}

// decodeResult decodes the JSON answer of the subrequest what in res into v.
func decodeResult(res *client.Result, what string, v any) error {
	dt, err := resultOf(res, what)
	if err != nil {
		return err
	}
	return errors.Wrapf(json.Unmarshal(dt, v), "failed to parse the %s result", what)
}

// replaceResult puts the metadata of out, an answer rewritten, in res.
func replaceResult(res, out *client.Result) {
	for k, v := range out.Metadata {
		res.AddMeta(k, v)
	}
}
