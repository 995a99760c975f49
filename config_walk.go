package coxswain

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// configWalk checks a config file's YAML tree against the Config type by its
// yaml tags before anything is decoded. yaml.v3 stops at the first unknown
// key and words its errors in Go types; the walk instead finds every unknown
// key and every value of the wrong type, says so in the user's terms, and
// notes the line of every key for the problems Validate finds later.
type configWalk struct {
	lines    map[string]int
	problems []*ValidationError
	// typeKeys are the keys whose values could not be decoded. A later
	// problem at, inside or around one of them is a consequence (a list
	// that was a string is then empty), not news.
	typeKeys []string
	// visited holds anchors already walked as a type: an anchor is checked
	// once, so that aliases of aliases cannot make the walk explode.
	visited map[visit]bool
}

type visit struct {
	node *yaml.Node
	typ  reflect.Type
}

func newConfigWalk() *configWalk {
	return &configWalk{lines: map[string]int{}, visited: map[visit]bool{}}
}

// document walks a whole file. It says false when the file is not a
// mapping at all, and so cannot be decoded into a Config.
func (w *configWalk) document(doc *yaml.Node) bool {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return true // an empty file: the defaults, and Validate says what is missing
	}
	root := doc.Content[0]
	if root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	switch {
	case root.ShortTag() == "!!null":
		return true
	case root.Kind != yaml.MappingNode:
		w.problems = append(w.problems, &ValidationError{
			Line: max(root.Line, 1),
			Msg:  "the config must be a mapping of key: value (" + strings.Join(yamlKeys(reflect.TypeFor[Config]()), ", ") + ")",
		})
		return false
	}
	w.value(root, reflect.TypeFor[Config](), "")
	return true
}

func (w *configWalk) add(key string, line int, value, msg string) {
	w.problems = append(w.problems, &ValidationError{Key: key, Value: value, Msg: msg, Line: line})
}

func (w *configWalk) wrongType(n *yaml.Node, key, msg string) {
	w.typeKeys = append(w.typeKeys, key)
	switch n.Kind {
	case yaml.MappingNode:
		w.add(key, n.Line, "", msg+", not a mapping")
	case yaml.SequenceNode:
		w.add(key, n.Line, "", msg+", not a list")
	default:
		w.add(key, n.Line, n.Value, msg)
	}
}

// consequence says whether a problem at key follows from a value already
// reported as of the wrong type.
func (w *configWalk) consequence(key string) bool {
	for _, t := range w.typeKeys {
		if within(key, t) || within(t, key) {
			return true
		}
	}
	return false
}

// within says whether key is ancestor or one of its descendants.
func within(key, ancestor string) bool {
	return key == ancestor || strings.HasPrefix(key, ancestor+".") || strings.HasPrefix(key, ancestor+"[")
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// value checks node n against type t; key is n's path (sources[0].fields).
func (w *configWalk) value(n *yaml.Node, t reflect.Type, key string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || w.visited[visit{n.Alias, t}] {
			return
		}
		w.visited[visit{n.Alias, t}] = true
		n = n.Alias
	}
	if n.ShortTag() == "!!null" {
		return // an empty value means the default
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// The type reads its own forms (ColumnSpec); its errors are worded for users.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			var te *yaml.TypeError
			if errors.As(err, &te) {
				msg = strings.Join(te.Errors, "; ")
			}
			w.typeKeys = append(w.typeKeys, key)
			w.add(key, n.Line, "", msg)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.wrongType(n, key, "must be a mapping of key: value ("+strings.Join(yamlKeys(t), ", ")+")")
			return
		}
		w.mapping(n, t, key)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.wrongType(n, key, "must be a mapping of key: value")
			return
		}
		w.mapping(n, t, key)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.wrongType(n, key, "must be a list, such as [a, b]")
			return
		}
		for i, item := range n.Content {
			k := fmt.Sprintf("%s[%d]", key, i)
			w.lines[k] = item.Line
			w.value(item, t.Elem(), k)
		}
	default:
		w.scalar(n, t, key)
	}
}

// scalar checks a leaf by decoding it alone into a fresh value of its type.
func (w *configWalk) scalar(n *yaml.Node, t reflect.Type, key string) {
	msg := mustBe(t)
	if n.Kind != yaml.ScalarNode {
		w.wrongType(n, key, msg)
		return
	}
	err := n.Decode(reflect.New(t).Interface())
	if err == nil && t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64 {
		// yaml.v3 truncates 1.5 into an int field without a word.
		var f float64
		if n.Decode(&f) == nil && f != math.Trunc(f) {
			err = errors.New("not whole")
		}
	}
	if err != nil {
		w.wrongType(n, key, msg)
	}
}

func mustBe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "must be true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "must be a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.String:
		return "must be text"
	}
	return "is not a value this key takes"
}

// mapping checks the entries of a mapping node against a struct (whose keys
// are its yaml tags) or a map (whose keys are the user's).
func (w *configWalk) mapping(n *yaml.Node, t reflect.Type, key string) {
	var fields map[string]reflect.Type
	var known []string
	if t.Kind() == reflect.Struct {
		fields = map[string]reflect.Type{}
		for i := range t.NumField() {
			if name, ok := yamlName(t.Field(i)); ok {
				fields[name] = t.Field(i).Type
			}
		}
		known = yamlKeys(t)
	}
	firstAt := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
			w.merge(vn, t, key)
			continue
		}
		if kn.Kind != yaml.ScalarNode {
			w.add(key, kn.Line, "", "has a key that is not a name")
			continue
		}
		name := kn.Value
		k := name
		if key != "" {
			k = key + "." + name
		}
		if line, dup := firstAt[name]; dup {
			w.add(k, kn.Line, "", fmt.Sprintf("is written twice (first at line %d); keep one", line))
			continue
		}
		firstAt[name] = kn.Line
		if fields == nil {
			w.lines[k] = kn.Line
			w.value(vn, t.Elem(), k)
			continue
		}
		ft, ok := fields[name]
		if !ok {
			w.unknown(kn, vn, k, known)
			continue
		}
		w.lines[k] = kn.Line
		w.value(vn, ft, k)
	}
}

// merge walks the mappings of a YAML merge key (<<: *defaults) as if
// written in place, as yaml.v3 decodes them.
func (w *configWalk) merge(n *yaml.Node, t reflect.Type, key string) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || w.visited[visit{n.Alias, t}] {
			return
		}
		w.visited[visit{n.Alias, t}] = true
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		w.mapping(n, t, key)
	case yaml.SequenceNode:
		for _, item := range n.Content {
			w.merge(item, t, key)
		}
	default:
		w.add(key, n.Line, "", "has a merge key (<<) whose value is not a mapping")
	}
}

// credentialMsg answers a password in the file: it must not live there,
// and saying only "unknown key" would invite a guess at the right spelling.
const credentialMsg = "the SMTP user and password are never kept in the config file; " +
	"set COXSWAIN_SMTP_USER and COXSWAIN_SMTP_PASSWORD in the environment, and remove this key"

func isCredential(name string) bool {
	name = strings.ToLower(name)
	switch name {
	case "user", "username", "pass", "passwd", "password":
		return true
	}
	return strings.Contains(name, "password")
}

func (w *configWalk) unknown(kn, vn *yaml.Node, key string, known []string) {
	if isCredential(kn.Value) {
		w.add(key, kn.Line, "", credentialMsg)
		return
	}
	w.add(key, kn.Line, "", unknownKeyMsg(kn.Value, known))
	w.credentials(vn, key)
}

// credentials reports credential keys below an unknown key (smtp_auth:
// {password: ...}): the password must go whatever the parent's spelling.
func (w *configWalk) credentials(n *yaml.Node, key string) {
	if n.Kind == yaml.AliasNode {
		// An anchor is searched once: aliases can nest a tree in itself.
		if n.Alias == nil || w.visited[visit{n.Alias, nil}] {
			return
		}
		w.visited[visit{n.Alias, nil}] = true
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			k := key + "." + kn.Value
			if kn.Kind == yaml.ScalarNode && isCredential(kn.Value) {
				w.add(k, kn.Line, "", credentialMsg)
				continue
			}
			w.credentials(vn, k)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			w.credentials(item, fmt.Sprintf("%s[%d]", key, i))
		}
	}
}

// unknownKeyMsg suggests the known key closest to name when it is close
// enough to be a slip, and otherwise lists the keys allowed there.
func unknownKeyMsg(name string, known []string) string {
	if s := Closest(name, known); s != "" {
		return "unknown key; did you mean " + s + "?"
	}
	if len(known) == 0 {
		return "unknown key; no keys are allowed here"
	}
	return "unknown key; the keys here are " + strings.Join(known, ", ")
}

// yamlName is a struct field's key, as yaml.v3 reads the tag.
func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return "", false
	case "":
		return strings.ToLower(f.Name), true
	}
	return name, true
}

// yamlKeys lists a struct's keys in the order the type declares them, which
// is the order the README documents them.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name, ok := yamlName(t.Field(i)); ok {
			keys = append(keys, name)
		}
	}
	return keys
}

var (
	yamlLine      = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)
	unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced`)
)

// yamlProblem turns a yaml.v3 error into a problem with a line. Errors of
// the reader (a control character, bad UTF-8) carry none, so the line of
// the first such byte is found here.
func yamlProblem(err error, data []byte) *ValidationError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimPrefix(err.Error(), m[0])
		if isParserError(msg) {
			line++ // yaml.v3 counts these from 0 (it corrects only its scanner's)
		}
		if strings.HasPrefix(msg, "did not find expected key") || strings.HasPrefix(msg, "did not find expected '-'") {
			// The line is where the block starts, not where it goes wrong.
			msg += " (check the indentation of the lines below)"
		}
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil && line == 0 {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
		}
	}
	if line == 0 {
		line = badByteLine(data)
	}
	return &ValidationError{Line: line, Msg: "YAML syntax error: " + msg}
}

// isParserError says whether msg is one of libyaml's parser errors, as
// opposed to its scanner's: parserc.go's messages.
func isParserError(msg string) bool {
	for _, p := range []string{
		"did not find expected ',' or", "did not find expected <", "did not find expected '-' indicator",
		"did not find expected key", "did not find expected node content",
		"found duplicate %", "found incompatible YAML document", "found undefined tag handle",
	} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// badByteLine is the line of the first byte YAML does not allow, or 1 when
// there is none, as the file's first line stands for the whole file.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1,
			r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r == 0x7f, r >= 0x80 && r <= 0x9f && r != 0x85,
			r == 0xfffe, r == 0xffff:
			return line
		case r == '\n':
			line++
		}
		i += size
	}
	return 1
}
