package web

import (
	"embed"
	"net/http"
	"sync"
)

// The explorer: a network view of the graph (sigma.js + graphology, built from npm with
// esbuild into explorer/assets by explorer/build.sh; see explorer/README.md). Mount it on
// both patterns:
//
//	mux.Handle("/explore", web.Explorer())
//	mux.Handle("/explore/", web.Explorer())
//
// The handler answers GET and HEAD (405 for other methods) on:
//
//	/explore, /explore/          the explorer page
//	/explore/assets/NAME         its embedded assets (ExplorerAssetPrefix + NAME)
//
// and 404 for every other path. The page talks to DefaultEndpoint ("/graphql") only; its
// download links point at ExportPrefix ("/export/{format}?id=...").

const (
	// ExplorerPath is the path of the explorer page.
	ExplorerPath = "/explore"
	// ExplorerAssetPrefix is the path under which the explorer's assets are served.
	ExplorerAssetPrefix = "/explore/assets/"
	// ExportPrefix is the base of the download links of the explorer (/export/{format}).
	ExportPrefix = "/export"
)

// ExplorerContentSecurityPolicy is the policy sent with the explorer page: scripts, styles
// and connections from 'self' only. ForceAtlas2 runs in a web worker that
// graphology-layout-forceatlas2 starts from a blob: URL, hence worker-src blob:. The page
// sets no inline style (sigma styles its canvases through the CSSOM, which CSP allows);
// img-src data: is for the empty favicon.
const ExplorerContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self'; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"worker-src 'self' blob:; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

//go:embed explorer/index.html explorer/assets
var explorerFiles embed.FS

// explorerAssets maps a file name under explorer/assets to its blob; loaded once.
var explorerAssets = sync.OnceValue(func() map[string]*blob { return loadAssets(explorerFiles, "explorer/assets") })

// ExplorerAssetURL returns the versioned URL of the embedded explorer asset name (a file of
// explorer/assets), or an error when there is no such asset.
func ExplorerAssetURL(name string) (string, error) {
	return assetURL(explorerAssets(), ExplorerAssetPrefix, name)
}

var explorerHandler = sync.OnceValue(func() *handler {
	return &handler{
		pages: []string{ExplorerPath, ExplorerPath + "/"},
		page: renderPage(explorerFiles, "explorer/index.html", ExplorerAssetURL, struct{ Endpoint, Export, Path string }{
			DefaultEndpoint, ExportPrefix, ExplorerPath,
		}),
		prefix: ExplorerAssetPrefix,
		assets: explorerAssets(),
		csp:    ExplorerContentSecurityPolicy,
	}
})

// Explorer returns the handler of the explorer page and its assets.
func Explorer() http.Handler { return explorerHandler() }
