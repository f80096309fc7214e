package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// outputsFileName holds a stage's outputs, beside its resources folder.
const outputsFileName = "outputs.json"

var _ OutputStore = (*fileStore)(nil)

// PutOutputs writes the outputs file atomically, as records are written;
// no outputs removes it.
func (s *fileStore) PutOutputs(ctx context.Context, outputs map[string]any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	if len(outputs) == 0 {
		err := os.Remove(filepath.Join(s.dir, outputsFileName))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove outputs: %w", err)
		}
		return nil
	}
	data, err := EncodeOutputs(outputs)
	if err != nil {
		return err
	}
	if err := s.ensureDirs(); err != nil {
		return err
	}
	if err := writeFileAtomic(s.dir, outputsFileName, data); err != nil {
		return fmt.Errorf("put outputs: %w", err)
	}
	return nil
}

// LoadOutputs reads the outputs file; a stage without one has none.
func (s *fileStore) LoadOutputs(ctx context.Context) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	path := filepath.Join(s.dir, outputsFileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read outputs: %w", err)
	}
	return DecodeOutputs(data, path)
}
