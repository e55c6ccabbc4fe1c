package export

import (
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
)

// xw writes XML text through a buffer, keeping the first write error.
type xw struct {
	w   *bufio.Writer
	err error
}

func newXW(w io.Writer) *xw { return &xw{w: bufio.NewWriterSize(w, 64<<10)} }

// raw writes markup as is.
func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

// text writes s escaped for XML character data or an attribute value: & < > " ' and the line
// breaks and tab as character references (so attribute values keep their newlines), and any
// character XML 1.0 cannot hold (or invalid UTF-8) as U+FFFD.
func (x *xw) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

// attr writes ` name="value"`.
func (x *xw) attr(name, value string) {
	x.raw(" " + name + `="`)
	x.text(value)
	x.raw(`"`)
}

func (x *xw) float(name string, v float64) {
	x.raw(" " + name + `="` + strconv.FormatFloat(v, 'f', -1, 64) + `"`)
}

func (x *xw) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
