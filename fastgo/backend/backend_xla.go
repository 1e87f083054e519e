//go:build xla

package backend

// Built with `-tags xla`: links go-xla's PJRT backend ("xla"), so a PJRT
// plugin found by FindPlugins can be used. This needs cgo (a C compiler) but
// no XLA library at build time: plugins are loaded with dlopen when the
// backend is created. The default build leaves it out and stays pure Go.

import (
	"os"

	"github.com/gomlx/go-xla/compute/xla"
)

func init() {
	// go-xla downloads missing plugins when its autoinstall package is linked
	// in; fastgo only does that when the user asks (FASTGO_AUTO_INSTALL).
	if _, asked := os.LookupEnv("FASTGO_AUTO_INSTALL"); !asked {
		xla.EnableAutoInstall(false)
	}
}
