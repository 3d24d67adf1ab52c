package web

import (
	"fmt"
	"html/template"
	"strings"
)

// Funcs are the template functions every page may use.
var Funcs = template.FuncMap{
	// dict builds a map for a partial that takes several values:
	// {{template "input" dict "Page" . "Field" "family" "Label" "Family name"}}.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"join":  strings.Join,
	"upper": strings.ToUpper,
}
