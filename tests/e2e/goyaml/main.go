// goyaml: decode YAML (or JSON) documents the way Go tools do and print what each reader got.
//
// kubectl, Argo CD, Helm and the Argo CLI read manifests with sigs.k8s.io/yaml (YAML 1.1 rules
// through its go-yaml v2 fork); some tools still call gopkg.in/yaml.v2 or gopkg.in/yaml.v3
// directly. Reads a stream on stdin, splits it into documents on `---` lines as kubectl's
// YAMLReader does, and prints one JSON object on stdout:
//
//	{"sigs.k8s.io/yaml": [R, ...], "gopkg.in/yaml.v2": [R, ...], "gopkg.in/yaml.v3": [R, ...]}
//
// with one R = {"value": <the document as JSON>} or {"error": "..."} per document. A mapping key
// that is not a string is printed as "!<go type>:<value>" (sigs.k8s.io/yaml stringifies it itself),
// and a timestamp as "!time:<RFC 3339>", so a type change is always visible in the JSON.
// Built by tests/e2e/build-components.sh goyaml; used by tests/test_emit_go.py.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	yamlv2 "gopkg.in/yaml.v2"
	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"
)

type result struct {
	Value json.RawMessage `json:"value,omitempty"`
	Error string          `json:"error,omitempty"`
}

func split(in []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if strings.TrimSpace(stripComments(cur.String())) != "" {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(in))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		line := sc.Text()
		if line == "---" || strings.HasPrefix(line, "--- ") {
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// plain turns what go-yaml decoded into JSON-able data, marking what JSON would hide.
func plain(v interface{}) (interface{}, error) {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		out := make(map[string]interface{}, len(t))
		for k, val := range t {
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprintf("!%T:%v", k, k)
			}
			pv, err := plain(val)
			if err != nil {
				return nil, err
			}
			out[ks] = pv
		}
		return out, nil
	case map[string]interface{}:
		out := make(map[string]interface{}, len(t))
		for k, val := range t {
			pv, err := plain(val)
			if err != nil {
				return nil, err
			}
			out[k] = pv
		}
		return out, nil
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, val := range t {
			pv, err := plain(val)
			if err != nil {
				return nil, err
			}
			out[i] = pv
		}
		return out, nil
	case time.Time:
		return "!time:" + t.Format(time.RFC3339Nano), nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return fmt.Sprintf("!float:%v", t), nil
		}
		return t, nil
	default:
		return t, nil
	}
}

func encode(v interface{}, err error) result {
	if err != nil {
		return result{Error: err.Error()}
	}
	p, err := plain(v)
	if err != nil {
		return result{Error: err.Error()}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return result{Error: err.Error()}
	}
	return result{Value: b}
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := map[string][]result{"sigs.k8s.io/yaml": {}, "gopkg.in/yaml.v2": {}, "gopkg.in/yaml.v3": {}}
	for _, doc := range split(in) {
		if j, err := yaml.YAMLToJSON(doc); err != nil {
			out["sigs.k8s.io/yaml"] = append(out["sigs.k8s.io/yaml"], result{Error: err.Error()})
		} else {
			out["sigs.k8s.io/yaml"] = append(out["sigs.k8s.io/yaml"], result{Value: j})
		}
		var v2 interface{}
		out["gopkg.in/yaml.v2"] = append(out["gopkg.in/yaml.v2"], encode(v2, yamlv2.Unmarshal(doc, &v2)))
		var v3 interface{}
		out["gopkg.in/yaml.v3"] = append(out["gopkg.in/yaml.v3"], encode(v3, yamlv3.Unmarshal(doc, &v3)))
	}
	b, err := json.Marshal(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}
