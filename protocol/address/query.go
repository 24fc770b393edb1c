package address

import "strings"

// Query strings follow http-types as the reference uses it [QS]:
// rendering percent-encodes every byte except ASCII letters, digits and
// "-_.~" (upper-case hex, so '=' is %3D and ',' is %2C); parsing splits on
// '&' and ';', takes the first '=' as the separator and decodes "%XX" and
// '+' (a space), leaving malformed escapes as they are.

// Param is one query parameter.
type Param struct{ Name, Value string }

// Query is an ordered list of query parameters.
type Query []Param

// Get returns the value of the first parameter called name.
func (q Query) Get(name string) (string, bool) {
	for _, p := range q {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

const upperHex = "0123456789ABCDEF"

func queryEscape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}

// Encode renders q as "n1=v1&n2=v2", escaping names and values
// [QS QSP QEscape, http-types renderSimpleQuery False].
func (q Query) Encode() string {
	var b strings.Builder
	for i, p := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		queryEscape(&b, p.Name)
		b.WriteByte('=')
		queryEscape(&b, p.Value)
	}
	return b.String()
}

// encodeRaw renders q without escaping the values, as the e2e parameters
// are rendered before being escaped once more as a whole [QS QNoEscaping].
func (q Query) encodeRaw() string {
	var b strings.Builder
	for i, p := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		queryEscape(&b, p.Name)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// queryUnescape decodes '+' and "%XX" [http-types urlDecode True].
func queryUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s):
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(h<<4 | l)
				i += 2
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ParseQuery parses a query string [http-types parseSimpleQuery]: a
// leading '?' is dropped, pairs are separated by '&' or ';', a pair
// without '=' has an empty value.
func ParseQuery(s string) Query {
	s = strings.TrimPrefix(s, "?")
	var q Query
	for s != "" {
		var pair string
		if i := strings.IndexAny(s, "&;"); i >= 0 {
			pair, s = s[:i], s[i+1:]
		} else {
			pair, s = s, ""
		}
		name, value, _ := strings.Cut(pair, "=")
		q = append(q, Param{Name: queryUnescape(name), Value: queryUnescape(value)})
	}
	return q
}

// queryText consumes the rest of the input up to a space or newline, the
// extent of a query string in the reference [QS StrEncoding QueryStringParams].
func (p *scanner) queryText() string {
	return p.takeWhile(func(c byte) bool { return c != ' ' && c != '\n' })
}
