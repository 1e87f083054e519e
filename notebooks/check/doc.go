// Command check verifies notebooks executed headless by
// scripts/run-notebooks.sh: that they really ran and really show their
// outputs.
//
//	go run ./notebooks/check build/notebooks/01_data.ipynb ...
//
// For each executed notebook NAME.ipynb it reads NAME.html (nbconvert's
// export) and NAME.png (headless Chromium's screenshot of that HTML) beside
// it, and fails when
//   - a code cell did not run, or has an error output, or printed a Go panic
//     or a compiler error;
//   - the HTML has fewer PNG images (data URIs) than the notebook's metadata
//     asks for (metadata.fastgo_check.min_images), or one of them is blank;
//   - a text the metadata lists (metadata.fastgo_check.texts: table headers,
//     printed values) is missing from the page's visible text;
//   - the screenshot is missing or blank (the browser rendered nothing).
package main
