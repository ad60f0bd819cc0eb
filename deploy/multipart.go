package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// partsInFlight is how many parts of one large file upload at once (on
// top of the other files' uploads), so one big video does not upload
// part after part while every other worker has finished.
const partsInFlight = 4

// putMultipart uploads a large file in parts of partSize, the size the
// local ETag was computed with, so a re-run recognises it; an upload that
// fails is aborted so no parts linger.
func putMultipart(ctx context.Context, client *s3.Client, in *s3.PutObjectInput, fh *os.File, size, partSize int64) error {
	up, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: in.Bucket, Key: in.Key, ContentType: in.ContentType, CacheControl: in.CacheControl})
	if err != nil {
		return err
	}
	abort := func(err error) error {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId})
		return err
	}
	n := int((size + partSize - 1) / partSize)
	parts := make([]s3types.CompletedPart, n)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, partsInFlight)
	)
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-pctx.Done():
		}
		if pctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			off := int64(i) * partSize
			length := min(partSize, size-off)
			num := aws.Int32(int32(i + 1))
			out, err := client.UploadPart(pctx, &s3.UploadPartInput{
				Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId, PartNumber: num,
				Body: io.NewSectionReader(fh, off, length), ContentLength: aws.Int64(length)})
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("part %d: %w", i+1, err)
					cancel()
				}
				mu.Unlock()
				return
			}
			parts[i] = s3types.CompletedPart{PartNumber: num, ETag: out.ETag}
		}()
	}
	wg.Wait()
	if firstErr == nil && pctx.Err() != nil {
		firstErr = pctx.Err()
	}
	if firstErr != nil {
		return abort(firstErr)
	}
	_, err = client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return abort(err)
	}
	return nil
}
