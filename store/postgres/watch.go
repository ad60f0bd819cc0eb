package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Subscribe implements store.Store. Revisions committed through this DB are
// announced as soon as they commit; those committed by other nodes arrive
// by NOTIFY. Deliveries are coalesced and never go backwards.
func (db *DB) Subscribe() (<-chan int64, func()) { return db.notify.Subscribe() }

// listen opens the dedicated notification connection, subscribes to the
// channel, and then announces the current revision: whatever was committed
// while nobody listened (at start-up, or while reconnecting) is covered by
// that one announcement, since watchers read Changes from the revision
// they applied.
func (db *DB) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, db.r.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect the notification listener: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{db.channel}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("listen on %s: %w", db.channel, err)
	}
	rev, err := db.Rev(ctx)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	db.notify.Publish(rev)
	return conn, nil
}

// relay forwards notifications to subscribers until ctx ends, reconnecting
// with a capped back-off when the connection drops. Notifications sent
// while it was down are lost, which is why listen announces the current
// revision on reconnect and why watchers also poll Rev.
func (db *DB) relay(ctx context.Context, conn *pgx.Conn) {
	defer close(db.listenDone)
	backoff := 100 * time.Millisecond
	for {
		if conn != nil {
			err := db.forward(ctx, conn)
			conn.Close(context.WithoutCancel(ctx))
			conn = nil
			if ctx.Err() != nil {
				return
			}
			db.log.Warn("store: PostgreSQL notification connection lost; reconnecting (edges poll meanwhile)", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		c, err := db.listen(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(2*backoff, 5*time.Second)
			db.log.Warn("store: cannot listen for PostgreSQL notifications", "err", err, "retry_in", backoff)
			continue
		}
		conn, backoff = c, 100*time.Millisecond
	}
}

func (db *DB) forward(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		rev, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			db.log.Warn("store: ignoring a notification that is not a revision", "channel", n.Channel, "payload", n.Payload)
			continue
		}
		db.notify.Publish(rev)
	}
}
