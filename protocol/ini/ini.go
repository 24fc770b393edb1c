// Package ini reads the INI configuration files of the reference SimpleX
// servers (smp-server.ini, ntf-server.ini, file-server.ini), so operators
// can bring theirs. It lives in protocol/ because the file format is shared
// by every service; it holds no server logic.
//
// The format, as the reference's ini parser reads it: "[SECTION]" headers,
// "key = value" lines, comments starting with '#' or ';' on their own line;
// keys and values are trimmed. A key outside any section is an error.
package ini

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is returned for malformed lines.
var ErrSyntax = errors.New("ini: syntax error")

// maxLine bounds a line; configuration lines are short.
const maxLine = 64 << 10

// File is a parsed INI file: section -> key -> value. Lookups are
// case-sensitive, as in the reference.
type File struct {
	sections map[string]map[string]string
	used     map[string]bool
}

// Parse reads an INI document.
func Parse(r io.Reader) (*File, error) {
	f := &File{sections: map[string]map[string]string{}, used: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	section := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				return nil, fmt.Errorf("%w: line %d: bad section header", ErrSyntax, n)
			}
			section = strings.TrimSpace(line[1 : len(line)-1])
			if f.sections[section] == nil {
				f.sections[section] = map[string]string{}
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				k, v, ok = strings.Cut(line, ":")
			}
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return nil, fmt.Errorf("%w: line %d: want key = value", ErrSyntax, n)
			}
			if section == "" {
				return nil, fmt.Errorf("%w: line %d: key outside a section", ErrSyntax, n)
			}
			f.sections[section][k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ini: %w", err)
	}
	return f, nil
}

// Load parses the file at path.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := Parse(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Lookup returns the value of key in section.
func (f *File) Lookup(section, key string) (string, bool) {
	if f == nil {
		return "", false
	}
	v, ok := f.sections[section][key]
	if ok {
		f.used[section+"."+key] = true
	}
	return v, ok
}

// Unused lists "SECTION.key" entries never looked up, so a server can warn
// about keys it does not honour.
func (f *File) Unused() []string {
	var out []string
	for s, kv := range f.sections {
		for k := range kv {
			if !f.used[s+"."+k] {
				out = append(out, s+"."+k)
			}
		}
	}
	return out
}

// Reader collects typed lookups and their errors, so a config loader can
// report every bad value at once.
type Reader struct {
	F    *File
	Errs []error
}

func (r *Reader) fail(section, key, v string, err error) {
	r.Errs = append(r.Errs, fmt.Errorf("[%s] %s = %q: %w", section, key, v, err))
}

// String sets *dst if the key is present.
func (r *Reader) String(section, key string, dst *string) {
	if v, ok := r.F.Lookup(section, key); ok {
		*dst = v
	}
}

// Bool reads on/off (also true/false, yes/no) into *dst.
func (r *Reader) Bool(section, key string, dst *bool) {
	v, ok := r.F.Lookup(section, key)
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "on", "true", "yes":
		*dst = true
	case "off", "false", "no":
		*dst = false
	default:
		r.fail(section, key, v, errors.New("want on or off"))
	}
}

// Int reads a decimal integer into *dst.
func (r *Reader) Int(section, key string, dst *int) {
	v, ok := r.F.Lookup(section, key)
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(section, key, v, errors.New("want an integer"))
		return
	}
	*dst = n
}

// Duration reads an integer in the given unit (the reference writes days,
// hours or seconds as plain numbers) into *dst.
func (r *Reader) Duration(section, key string, unit time.Duration, dst *time.Duration) {
	n := -1
	r.Int(section, key, &n)
	if _, ok := r.F.Lookup(section, key); ok && n >= 0 {
		*dst = time.Duration(n) * unit
	}
}

// List reads a comma-separated list into *dst.
func (r *Reader) List(section, key string, dst *[]string) {
	v, ok := r.F.Lookup(section, key)
	if !ok {
		return
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	*dst = out
}

// Err joins the collected errors.
func (r *Reader) Err() error { return errors.Join(r.Errs...) }
