package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/athanor-iac/athanor/state"
)

// outputsKey holds a stage's outputs, beside its resources prefix.
const outputsKey = "outputs.json"

var _ state.OutputStore = (*Store)(nil)

// PutOutputs replaces the stage's outputs object; no outputs deletes it.
func (s *Store) PutOutputs(ctx context.Context, outputs map[string]any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	if err := s.checkLock(); err != nil {
		return fmt.Errorf("put outputs: %w", err)
	}
	key := s.pfx + outputsKey
	if len(outputs) == 0 {
		if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}); err != nil && httpStatus(err) != 404 {
			return fmt.Errorf("remove outputs in %s: %w", s.location, err)
		}
		return nil
	}
	data, err := state.EncodeOutputs(outputs)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(data), ContentType: aws.String("application/json")})
	if err != nil {
		return fmt.Errorf("put outputs in %s: %w", s.location, err)
	}
	return nil
}

// LoadOutputs reads the stage's outputs object; none is no outputs.
func (s *Store) LoadOutputs(ctx context.Context) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	data, _, err := s.get(ctx, s.pfx+outputsKey)
	if errors.Is(err, errNotFound) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read outputs in %s: %w", s.location, err)
	}
	return state.DecodeOutputs(data, "s3://"+s.bucket+"/"+s.pfx+outputsKey)
}
