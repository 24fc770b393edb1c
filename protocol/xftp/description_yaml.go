package xftp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/simplexgo/protocol/address"
	"gopkg.in/yaml.v3"
)

// The reference writes descriptions with Data.Yaml (libyaml) from an aeson
// object, so [FD encodeFileDescription, yaml Data.Yaml.Internal]:
//   - keys are in sorted order: chunkSize, digest, key, nonce, party,
//     redirect (only when present), replicas, size; replica entries have
//     chunks then server;
//   - block style, two-space indentation, sequences not indented under
//     their key, an empty sequence as "[]";
//   - strings are plain unless they would read back as another type
//     (numbers, booleans, null: single-quoted) or plain style cannot hold
//     them (single- or double-quoted, as libyaml decides);
//   - redirect.size is a number; the other sizes are strings like "8mb".

// MaxDescriptionSize bounds the YAML text ParseFileDescription accepts.
const MaxDescriptionSize = 1 << 20

// maxChunkLines bounds the chunk lines after alias expansion.
const maxChunkLines = 1 << 16

// Encode returns the YAML text of fd [FD StrEncoding FileDescription].
func (fd FileDescription) Encode() (string, error) {
	var b strings.Builder
	str := func(key, v string) error {
		s, err := yamlString(v)
		if err != nil {
			return fmt.Errorf("xftp: description %s: %w", key, err)
		}
		b.WriteString(key)
		b.WriteString(": ")
		b.WriteString(s)
		b.WriteByte('\n')
		return nil
	}
	if fd.Party != PartyRecipient && fd.Party != PartySender {
		return "", fmt.Errorf("%w: party %q", ErrDescription, fd.Party)
	}
	if err := str("chunkSize", FormatFileSize(int64(fd.ChunkSize))); err != nil {
		return "", err
	}
	if err := str("digest", address.B64(fd.Digest)); err != nil {
		return "", err
	}
	if err := str("key", address.B64(fd.Key[:])); err != nil {
		return "", err
	}
	if err := str("nonce", address.B64(fd.Nonce[:])); err != nil {
		return "", err
	}
	if err := str("party", string(fd.Party)); err != nil {
		return "", err
	}
	if r := fd.Redirect; r != nil {
		d, err := yamlString(address.B64(r.Digest))
		if err != nil {
			return "", err
		}
		b.WriteString("redirect:\n  digest: " + d + "\n  size: " + strconv.FormatInt(r.Size, 10) + "\n")
	}
	groups := fd.groupReplicas()
	if len(groups) == 0 {
		b.WriteString("replicas: []\n")
	} else {
		b.WriteString("replicas:\n")
	}
	for _, g := range groups {
		b.WriteString("- chunks:\n")
		for _, l := range g.lines {
			s, err := yamlString(l)
			if err != nil {
				return "", err
			}
			b.WriteString("  - " + s + "\n")
		}
		s, err := yamlString(g.server.String())
		if err != nil {
			return "", err
		}
		b.WriteString("  server: " + s + "\n")
	}
	if err := str("size", FormatFileSize(fd.Size)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// specialStrings would read back as booleans, null or an alias
// [yaml Data.Yaml.Internal specialStrings].
var specialStrings = map[string]bool{}

func init() {
	for _, s := range strings.Fields("y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL ~ *") {
		specialStrings[s] = true
	}
}

// isNumeric reports whether Data.Yaml reads s as a number: "0x" hex, "0o"
// octal, or a decimal with optional sign, fraction and exponent
// [yaml Data.Yaml.Internal textToScientific].
func isNumeric(s string) bool {
	allIn := func(t, set string) bool { return t != "" && strings.Trim(t, set) == "" }
	if h, ok := strings.CutPrefix(s, "0x"); ok && allIn(h, "0123456789abcdefABCDEF") {
		return true
	}
	if o, ok := strings.CutPrefix(s, "0o"); ok && allIn(o, "01234567") {
		return true
	}
	t := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if len(s)-len(t) > 1 {
		return false
	}
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if i == 0 || t == "" {
		return false
	}
	if i < 0 {
		return true
	}
	t = t[i:]
	if f, ok := strings.CutPrefix(t, "."); ok {
		j := strings.IndexFunc(f, func(r rune) bool { return r < '0' || r > '9' })
		if j == 0 || f == "" {
			return false
		}
		if j < 0 {
			return true
		}
		t = f[j:]
	}
	if e, ok := strings.CutPrefix(t, "e"); ok {
		t = e
	} else if e, ok := strings.CutPrefix(t, "E"); ok {
		t = e
	} else {
		return false
	}
	if e, ok := strings.CutPrefix(t, "-"); ok {
		t = e
	} else if e, ok := strings.CutPrefix(t, "+"); ok {
		t = e
	}
	return allIn(t, "0123456789")
}

// printable is libyaml's IS_PRINTABLE for a code point (unicode output on).
func printable(r rune) bool {
	return r == 0x0a || r >= 0x20 && r <= 0x7e || r == 0x85 || r >= 0xa0 && r <= 0xd7ff ||
		r >= 0xe000 && r <= 0xfffd && r != 0xfeff || r >= 0x10000 && r <= 0x10ffff
}

// yamlString renders a string scalar the way Data.Yaml and libyaml do for
// the strings a description holds (no line breaks).
func yamlString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("string is not valid UTF-8")
	}
	if s == "" || specialStrings[s] || isNumeric(s) {
		return singleQuoted(s), nil
	}
	special := false
	for _, r := range s {
		if !printable(r) || r == '\n' {
			special = true
		}
	}
	if special {
		return doubleQuoted(s), nil
	}
	if plainAllowed(s) {
		return s, nil
	}
	return singleQuoted(s), nil
}

// plainAllowed follows libyaml's yaml_emitter_analyze_scalar for block context.
func plainAllowed(s string) bool {
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	blankAt := func(i int) bool { return i >= len(s) || s[i] == ' ' }
	if strings.IndexByte("#,[]{}&*!|>'\"%@`", s[0]) >= 0 {
		return false
	}
	if (s[0] == '?' || s[0] == ':' || s[0] == '-') && blankAt(1) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] == ':' && blankAt(i+1) {
			return false
		}
		if s[i] == '#' && s[i-1] == ' ' {
			return false
		}
	}
	return true
}

func singleQuoted(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func doubleQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case printable(r) && r != '\n' && r != 0x85 && r != 0xa0 && r != 0xfeff:
			b.WriteRune(r)
		default:
			switch r {
			case 0:
				b.WriteString(`\0`)
			case 7:
				b.WriteString(`\a`)
			case 8:
				b.WriteString(`\b`)
			case 9:
				b.WriteString(`\t`)
			case 10:
				b.WriteString(`\n`)
			case 11:
				b.WriteString(`\v`)
			case 12:
				b.WriteString(`\f`)
			case 13:
				b.WriteString(`\r`)
			case 0x1b:
				b.WriteString(`\e`)
			case 0x85:
				b.WriteString(`\N`)
			case 0xa0:
				b.WriteString(`\_`)
			default:
				switch {
				case r <= 0xff:
					fmt.Fprintf(&b, `\x%02X`, r)
				case r <= 0xffff:
					fmt.Fprintf(&b, `\u%04X`, r)
				default:
					fmt.Fprintf(&b, `\U%08X`, r)
				}
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// valueKind is the aeson value a YAML scalar becomes [yaml textToValue].
type valueKind int

const (
	kindNull valueKind = iota
	kindBool
	kindNumber
	kindString
)

// scalarKind resolves a scalar as Data.Yaml does: quoted, folded and
// !!str-tagged scalars are strings; otherwise null/bool/number words win.
func scalarKind(n *yaml.Node) valueKind {
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.FoldedStyle) != 0 || n.Tag == "!!str" && n.Style&yaml.TaggedStyle != 0 {
		return kindString
	}
	t := n.Value
	switch t {
	case "null", "Null", "NULL", "~", "":
		return kindNull
	}
	for _, w := range []string{"y", "yes", "on", "true", "n", "no", "off", "false"} {
		if t == w || t == strings.ToUpper(w) || t == strings.ToUpper(w[:1])+w[1:] {
			return kindBool
		}
	}
	if isNumeric(t) {
		return kindNumber
	}
	return kindString
}

// resolve follows aliases, bounding the work alias expansion can cause.
func resolve(n *yaml.Node, budget *int) (*yaml.Node, error) {
	for n != nil && n.Kind == yaml.AliasNode {
		*budget--
		if *budget < 0 {
			return nil, fmt.Errorf("%w: too many aliases", ErrDescription)
		}
		n = n.Alias
	}
	if n == nil {
		return nil, fmt.Errorf("%w: unknown alias", ErrDescription)
	}
	return n, nil
}

// fields returns a mapping's keys and values; a later key wins.
func fields(n *yaml.Node, budget *int) (map[string]*yaml.Node, error) {
	n, err := resolve(n, budget)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: expected a mapping", ErrDescription)
	}
	m := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := resolve(n.Content[i], budget)
		if err != nil {
			return nil, err
		}
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%w: non-scalar key", ErrDescription)
		}
		m[k.Value] = n.Content[i+1]
	}
	return m, nil
}

// stringField returns the required string value of key.
func stringField(m map[string]*yaml.Node, key string, budget *int) (string, error) {
	n, ok := m[key]
	if !ok {
		return "", fmt.Errorf("%w: no %s", ErrDescription, key)
	}
	return stringValue(n, key, budget)
}

func stringValue(n *yaml.Node, what string, budget *int) (string, error) {
	n, err := resolve(n, budget)
	if err != nil {
		return "", err
	}
	if n.Kind != yaml.ScalarNode || scalarKind(n) != kindString {
		return "", fmt.Errorf("%w: %s is not a string", ErrDescription, what)
	}
	return n.Value, nil
}

// ParseFileDescription parses the YAML text of a file description
// [FD StrEncoding AFileDescription]. Unknown keys are ignored; chunks are
// rebuilt from the chunk lines and sorted by number. It does not call
// Validate.
func ParseFileDescription(text []byte) (FileDescription, error) {
	var fd FileDescription
	if len(text) > MaxDescriptionSize {
		return fd, fmt.Errorf("%w: %d bytes", ErrDescription, len(text))
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(&doc); err != nil {
		return fd, fmt.Errorf("%w: %v", ErrDescription, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fd, fmt.Errorf("%w: multiple YAML documents", ErrDescription)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return fd, fmt.Errorf("%w: expected one YAML document", ErrDescription)
	}
	budget := maxChunkLines
	m, err := fields(doc.Content[0], &budget)
	if err != nil {
		return fd, err
	}
	party, err := stringField(m, "party", &budget)
	if err != nil {
		return fd, err
	}
	switch Party(party) {
	case PartyRecipient, PartySender:
		fd.Party = Party(party)
	default:
		return fd, fmt.Errorf("%w: party %q", ErrDescription, party)
	}
	s, err := stringField(m, "size", &budget)
	if err != nil {
		return fd, err
	}
	if fd.Size, err = ParseFileSize(s, math.MaxInt64); err != nil {
		return fd, err
	}
	if s, err = stringField(m, "digest", &budget); err != nil {
		return fd, err
	}
	if fd.Digest, err = address.ParseB64(s); err != nil {
		return fd, fmt.Errorf("%w: digest: %w", ErrDescription, err)
	}
	if s, err = stringField(m, "key", &budget); err != nil {
		return fd, err
	}
	key, err := address.ParseB64(s)
	if err != nil || len(key) != len(fd.Key) {
		return fd, fmt.Errorf("%w: key", ErrDescription)
	}
	copy(fd.Key[:], key)
	if s, err = stringField(m, "nonce", &budget); err != nil {
		return fd, err
	}
	nonce, err := address.ParseB64(s)
	if err != nil {
		return fd, fmt.Errorf("%w: nonce: %w", ErrDescription, err)
	}
	copy(fd.Nonce[:], nonce) // zero-padded or cut to 24 bytes [MC cbNonce]
	if s, err = stringField(m, "chunkSize", &budget); err != nil {
		return fd, err
	}
	cs, err := ParseFileSize(s, math.MaxUint32)
	if err != nil {
		return fd, err
	}
	fd.ChunkSize = uint32(cs)
	if fd.Redirect, err = parseRedirect(m["redirect"], &budget); err != nil {
		return fd, err
	}
	rn, ok := m["replicas"]
	if !ok {
		return fd, fmt.Errorf("%w: no replicas", ErrDescription)
	}
	if rn, err = resolve(rn, &budget); err != nil {
		return fd, err
	}
	if rn.Kind != yaml.SequenceNode {
		return fd, fmt.Errorf("%w: replicas is not a list", ErrDescription)
	}
	var lines []serverReplica
	for _, g := range rn.Content {
		gm, err := fields(g, &budget)
		if err != nil {
			return fd, err
		}
		ss, err := stringField(gm, "server", &budget)
		if err != nil {
			return fd, err
		}
		srv, err := address.ParseServer(ss, address.SchemeXFTP)
		if err != nil {
			return fd, fmt.Errorf("%w: %w", ErrDescription, err)
		}
		cn, ok := gm["chunks"]
		if !ok {
			return fd, fmt.Errorf("%w: no chunks", ErrDescription)
		}
		if cn, err = resolve(cn, &budget); err != nil {
			return fd, err
		}
		if cn.Kind != yaml.SequenceNode {
			return fd, fmt.Errorf("%w: chunks is not a list", ErrDescription)
		}
		for _, c := range cn.Content {
			if budget--; budget < 0 {
				return fd, fmt.Errorf("%w: too many chunk lines", ErrDescription)
			}
			l, err := stringValue(c, "chunk", &budget)
			if err != nil {
				return fd, err
			}
			r, err := parseReplicaLine(l, srv)
			if err != nil {
				return fd, err
			}
			lines = append(lines, r)
		}
	}
	if fd.Chunks, err = foldReplicas(fd.ChunkSize, lines); err != nil {
		return fd, err
	}
	return fd, nil
}

// parseRedirect reads the optional redirect object: a missing key or null
// means none; size is an integer number [FD RedirectFileInfo].
func parseRedirect(n *yaml.Node, budget *int) (*RedirectFileInfo, error) {
	if n == nil {
		return nil, nil
	}
	n, err := resolve(n, budget)
	if err != nil {
		return nil, err
	}
	if n.Kind == yaml.ScalarNode && scalarKind(n) == kindNull {
		return nil, nil
	}
	m, err := fields(n, budget)
	if err != nil {
		return nil, err
	}
	var r RedirectFileInfo
	ds, err := stringField(m, "digest", budget)
	if err != nil {
		return nil, err
	}
	if r.Digest, err = address.ParseB64(ds); err != nil {
		return nil, fmt.Errorf("%w: redirect digest: %w", ErrDescription, err)
	}
	sn, ok := m["size"]
	if !ok {
		return nil, fmt.Errorf("%w: no redirect size", ErrDescription)
	}
	if sn, err = resolve(sn, budget); err != nil {
		return nil, err
	}
	if sn.Kind != yaml.ScalarNode || scalarKind(sn) != kindNumber {
		return nil, fmt.Errorf("%w: redirect size is not a number", ErrDescription)
	}
	if r.Size, err = integer(sn.Value); err != nil {
		return nil, err
	}
	return &r, nil
}

// integer converts a numeric scalar to int64 as aeson's bounded integral
// parser does: hex and octal forms, or a decimal whose value is integral.
func integer(s string) (int64, error) {
	bad := fmt.Errorf("%w: bad integer %q", ErrDescription, s)
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		v, err := strconv.ParseInt(h, 16, 64)
		if err != nil {
			return 0, bad
		}
		return v, nil
	}
	if o, ok := strings.CutPrefix(s, "0o"); ok {
		v, err := strconv.ParseInt(o, 8, 64)
		if err != nil {
			return 0, bad
		}
		return v, nil
	}
	if v, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 || math.Abs(f) > 1<<53 {
		return 0, bad
	}
	return int64(f), nil
}
