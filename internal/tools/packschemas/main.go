// Command packschemas packs AWS's CloudFormation resource schemas into the
// compressed archive that package schema embeds.
//
// The schemas are reference data: they are copied byte for byte, never edited.
// Entries are sorted and carry a fixed timestamp so that packing the same
// input twice gives the same archive, which lets CI check that the embedded
// copy matches its source.
//
//	go run ./internal/tools/packschemas -src ../shared/cfn-schemas -out schema/data/resources.zip
package main

import (
	"archive/zip"
	"compress/flate"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	src := flag.String("src", "../shared/cfn-schemas", "folder holding resources/*.json")
	out := flag.String("out", "schema/data/resources.zip", "archive to write")
	flag.Parse()
	if err := pack(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "packschemas:", err)
		os.Exit(1)
	}
}

func pack(src, out string) error {
	files, err := filepath.Glob(filepath.Join(src, "resources", "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no schemas under %s", filepath.Join(src, "resources"))
	}
	sort.Strings(files)
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	stamp := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: "resources/" + filepath.Base(name), Method: zip.Deflate, Modified: stamp}
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if readme, err := os.ReadFile(filepath.Join(src, "README.md")); err == nil {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "README.md", Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return err
		}
		if _, err := w.Write(readme); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if !strings.HasSuffix(out, ".zip") {
		return fmt.Errorf("output %s should end in .zip", out)
	}
	return os.Rename(tmp, out)
}
