package display

import (
	"html"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// ShowHTML displays h in a notebook; in a terminal it prints alt (nothing
// when alt is "").
func ShowHTML(h, alt string) {
	if InNotebook() {
		displayHTML(h, alt)
		return
	}
	if alt != "" {
		term.println(alt)
	}
}

// ShowText displays s verbatim: preformatted HTML in a notebook (with s as
// the plain-text alternative), a line of text in a terminal.
func ShowText(s string) {
	ShowHTML("<pre>"+html.EscapeString(s)+"</pre>", s)
}

// ShowMarkdown displays md rendered in a notebook (math in $…$ works), and
// prints it as is in a terminal.
func ShowMarkdown(md string) {
	if InNotebook() {
		front.send(map[protocol.MIMEType]any{protocol.MIMETextMarkdown: md, protocol.MIMETextPlain: md}, nil, "")
		return
	}
	term.println(md)
}
