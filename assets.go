// Package winewarden holds the files at the repository's root that the
// program installs, such as the Steam compatibility tool's manifest.
package winewarden

import _ "embed"

// ToolManifest is the toolmanifest.vdf of WineWarden's Steam compatibility
// tool. Steam runs the tool inside the Steam Linux Runtime 3.0 (sniper,
// app 1628350) that Proton 8.0 and later need, and passes the verb and the
// game's command after "compat".
//
//go:embed toolmanifest.vdf
var ToolManifest []byte
