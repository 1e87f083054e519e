package display

import "html"

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
