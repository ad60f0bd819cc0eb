package deploy

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// Scan walks dir and describes each regular file under prefix, hashing
// files in parallel.
func Scan(dir, prefix string, partSize int64, rules []Rule) ([]File, error) {
	return scan(context.Background(), dir, prefix, partSize, rules, nil)
}

// scan walks dir, then hashes the files on all cores. Files the cache
// knows by size, mtime, ctime and inode are not read again: the content
// hash is still what Diff compares with the remote ETag, the cache only
// avoids recomputing it for a file that has not been touched.
func scan(ctx context.Context, dir, prefix string, partSize int64, rules []Rule, cache *hashCache) ([]File, error) {
	var (
		files []File
		stats []fileStat
	)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		ct, cc := headersFor(rel, rules)
		files = append(files, File{Key: prefix + rel, Path: p, Size: info.Size(), ContentType: ct, CacheControl: cc})
		stats = append(stats, statOf(rel, info))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	var todo []int
	for i := range files {
		if etag, ok := cache.lookup(stats[i]); ok {
			files[i].ETag = etag
			continue
		}
		todo = append(todo, i)
	}
	if err := hashAll(ctx, files, todo, partSize); err != nil {
		return nil, err
	}
	for i := range files {
		cache.remember(stats[i], files[i].ETag)
	}
	return files, nil
}

// Small files read for hashing are kept in memory, up to keepBudget in
// all, and uploaded from there: a deploy of many small files then opens
// and reads each file once, and uploads exactly the bytes it hashed.
const (
	smallFile  = 64 << 10
	keepBudget = 128 << 20
)

// hashAll computes the ETags of files[todo] with one worker per core (two
// per core: small files spend as long in open/close as in MD5).
func hashAll(ctx context.Context, files []File, todo []int, partSize int64) error {
	if len(todo) == 0 {
		return nil
	}
	work := make(chan int)
	errs := make(chan error, 1)
	var (
		wg   sync.WaitGroup
		kept atomic.Int64 // bytes of small files kept for the upload
	)
	for range min(2*runtime.GOMAXPROCS(0), len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if files[i].Size <= min(smallFile, partSize) && kept.Add(files[i].Size) <= keepBudget {
					data, err := os.ReadFile(files[i].Path)
					if err == nil {
						sum := md5.Sum(data)
						files[i].Size, files[i].ETag, files[i].data = int64(len(data)), hex.EncodeToString(sum[:]), data
						continue
					}
				}
				size, etag, err := fileETag(files[i].Path, partSize)
				if err != nil {
					select {
					case errs <- fmt.Errorf("hash %s: %w", files[i].Path, err):
					default:
					}
					continue
				}
				files[i].Size, files[i].ETag = size, etag
			}
		}()
	}
	var err error
feed:
	for _, i := range todo {
		select {
		case work <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
		return err
	default:
		return nil
	}
}

// fileETag returns the ETag S3 gives the file: its MD5 when it is uploaded
// in one part, else the MD5 of its parts' MD5s with "-N".
func fileETag(p string, partSize int64) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, "", err
	}
	if st.Size() <= partSize {
		h := md5.New()
		if _, err := io.Copy(h, f); err != nil {
			return 0, "", err
		}
		return st.Size(), hex.EncodeToString(h.Sum(nil)), nil
	}
	all := md5.New()
	parts := 0
	for {
		h := md5.New()
		n, err := io.CopyN(h, f, partSize)
		if n > 0 {
			all.Write(h.Sum(nil))
			parts++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, "", err
		}
	}
	return st.Size(), fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), parts), nil
}
