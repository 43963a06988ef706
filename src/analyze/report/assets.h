/* The web assets compiled into nprof (tools/embed.py makes each from a file under
 * src/analyze/report/assets/): NUL-terminated text and its length. */
#ifndef NP_ASSETS_H
#define NP_ASSETS_H

#include <stddef.h>

extern const char np_asset_svgpan_js[]; /* assets/svgpan.js */
extern const size_t np_asset_svgpan_js_len;
extern const char np_asset_weblist_css[]; /* assets/weblist.css */
extern const size_t np_asset_weblist_css_len;
extern const char np_asset_webui_css[]; /* assets/webui.css */
extern const size_t np_asset_webui_css_len;
extern const char np_asset_webui_js[]; /* assets/webui.js */
extern const size_t np_asset_webui_js_len;
extern const char np_asset_flamegraph_js[]; /* assets/flamegraph.js */
extern const size_t np_asset_flamegraph_js_len;
extern const char np_asset_flamegraph_css[]; /* assets/flamegraph.css */
extern const size_t np_asset_flamegraph_css_len;

extern const char np_asset_weblist_js[]; /* assets/weblist.js */
extern const size_t np_asset_weblist_js_len;

#endif
