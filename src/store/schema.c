/* schema.c — numbered migrations, applied in order; PRAGMA user_version
 * records the last one applied. A migration never changes once released:
 * add a new one instead. SQL is kept portable (no SQLite-only types) so a
 * PostgreSQL backend can share it. */
#include "core/config.h"
#include "core/id.h"
#include "core/log.h"
#include "store/db.h"
#include "store/schema_pg.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Migration 7's triggers: forget (remove) or add the index entries of
 * the statuses with these ids, as the view shows them now, skipping any
 * still in the backlog (not indexed yet). */
#define SEARCH_FORGET(ids)                                                     \
	" INSERT INTO status_search (status_search, rowid, text,"              \
	" spoiler_text, media, author) SELECT 'delete', id, text,"             \
	" spoiler_text, media, author FROM status_search_docs"                 \
	" WHERE id IN (" ids ") AND id NOT IN"                                 \
	" (SELECT status_id FROM search_backlog);"
#define SEARCH_ADD(ids)                                                        \
	" INSERT INTO status_search (rowid, text, spoiler_text, media,"        \
	" author) SELECT id, text, spoiler_text, media, author"                \
	" FROM status_search_docs WHERE id IN (" ids ") AND id NOT IN"         \
	" (SELECT status_id FROM search_backlog);"

/* Migration 24 in either dialect: its types are the only difference. */
#define ACCOUNT_KEYS_SQL(integer, text)                                        \
	"CREATE TABLE account_keys ("                                          \
	"  account_id " integer " PRIMARY KEY"                                 \
	"    REFERENCES accounts(id) ON DELETE CASCADE,"                       \
	"  public_pem " text " NOT NULL,"                                      \
	"  private_pem " text " NOT NULL);"                                    \
	"CREATE TABLE instance_keys ("                                         \
	"  name " text " PRIMARY KEY,"                                         \
	"  public_pem " text " NOT NULL,"                                      \
	"  private_pem " text " NOT NULL);"

/* Migration 25 in either dialect. */
#define ACTORS_SQL(integer, text)                                              \
	"CREATE TABLE actors ("                                                \
	"  account_id " integer " PRIMARY KEY"                                 \
	"    REFERENCES accounts(id) ON DELETE CASCADE,"                       \
	"  uri " text " NOT NULL UNIQUE,"                                      \
	"  url " text ","                                                      \
	"  inbox " text " NOT NULL,"                                           \
	"  shared_inbox " text ","                                             \
	"  followers_uri " text ","                                            \
	"  key_id " text " NOT NULL UNIQUE,"                                   \
	"  public_key_pem " text " NOT NULL,"                                  \
	"  fetched_at " integer " NOT NULL);"                                  \
	"CREATE TABLE inbox_seen ("                                            \
	"  activity_id " text " PRIMARY KEY,"                                  \
	"  received_at " integer " NOT NULL);"                                 \
	"CREATE INDEX inbox_seen_by_age ON inbox_seen(received_at);"           \
	"CREATE TABLE inbox_activities ("                                      \
	"  id " integer " PRIMARY KEY,"                                        \
	"  actor_id " integer " NOT NULL"                                      \
	"    REFERENCES accounts(id) ON DELETE CASCADE,"                       \
	"  body " text " NOT NULL,"                                            \
	"  received_at " integer " NOT NULL);"                                 \
	"CREATE INDEX inbox_activities_by_actor"                               \
	"  ON inbox_activities(actor_id);"                                     \
	"CREATE TABLE deliveries ("                                            \
	"  id " integer " PRIMARY KEY,"                                        \
	"  inbox " text " NOT NULL,"                                           \
	"  signer_id " integer " NOT NULL,"                                    \
	"  body " text " NOT NULL,"                                            \
	"  attempts " integer " NOT NULL DEFAULT 0,"                           \
	"  created_at " integer " NOT NULL);"                                  \
	"ALTER TABLE follow_requests ADD COLUMN uri " text ";"

/* Migration 26 in either dialect. */
#define REMOTE_POSTS_SQL(integer, text)                                        \
	"CREATE TABLE remote_statuses ("                                       \
	"  status_id " integer " PRIMARY KEY"                                  \
	"    REFERENCES statuses(id) ON DELETE CASCADE,"                       \
	"  uri " text " NOT NULL UNIQUE,"                                      \
	"  url " text ");"                                                     \
	"CREATE TABLE fanouts ("                                               \
	"  id " integer " PRIMARY KEY,"                                        \
	"  signer_id " integer " NOT NULL,"                                    \
	"  followers_of " integer " NOT NULL,"                                 \
	"  inboxes " text " NOT NULL,"                                         \
	"  body " text " NOT NULL,"                                            \
	"  created_at " integer " NOT NULL);"

/* Migration 28 in either dialect. */
#define INSTANCE_BLOCKS_SQL(integer, text)                                     \
	"CREATE TABLE instance_blocks ("                                       \
	"  domain " text " PRIMARY KEY,"                                       \
	"  severity " integer " NOT NULL,"                                     \
	"  reject_media " integer " NOT NULL DEFAULT 0,"                       \
	"  created_at " integer " NOT NULL);"

/* Migration 29 in either dialect. */
#define FAILING_SERVERS_SQL(integer, text)                                     \
	"CREATE TABLE failing_servers ("                                       \
	"  host " text " PRIMARY KEY,"                                         \
	"  failing_since " integer " NOT NULL,"                                \
	"  probe_at " integer " NOT NULL DEFAULT 0);"                          \
	"ALTER TABLE deliveries ADD COLUMN host " text ";"                     \
	"CREATE INDEX deliveries_by_host ON deliveries(host);"

/* Migration 30 in either dialect. */
#define ACTOR_MOVED_SQL(integer)                                               \
	"ALTER TABLE actors ADD COLUMN moved_to_id " integer ";"

/* Migration 31 in either dialect. */
#define ACTOR_IMAGES_SQL(text)                                                 \
	"ALTER TABLE actors ADD COLUMN avatar_source " text ";"                \
	"ALTER TABLE actors ADD COLUMN header_source " text ";"

/* Migration 32, the same in either dialect. */
#define JOBS_BY_LANE_SQL                                                       \
	"CREATE INDEX jobs_due_general ON jobs(state, run_at)"                 \
	"  WHERE kind <> '" STORE_JOB_LANE "';"                                \
	"CREATE INDEX jobs_due_lane ON jobs(state, run_at)"                    \
	"  WHERE kind = '" STORE_JOB_LANE "';"

/* Migration 33, the same in either dialect. */
#define FOLLOWS_LOCAL_SQL                                                      \
	"ALTER TABLE follows ADD COLUMN local_follower INTEGER NOT NULL"       \
	"  DEFAULT 0;"                                                         \
	"UPDATE follows SET local_follower = 1 WHERE account_id IN"            \
	"  (SELECT id FROM accounts WHERE domain IS NULL);"                    \
	"CREATE INDEX follows_by_target_local"                                 \
	"  ON follows(target_id, local_follower, account_id);"

/* Migration 34 in either dialect. */
#define DELIVERY_BODIES_SQL(integer, text)                                     \
	"CREATE TABLE delivery_bodies ("                                       \
	"  id " integer " PRIMARY KEY,"                                        \
	"  body " text " NOT NULL,"                                            \
	"  created_at " integer " NOT NULL);"                                  \
	"ALTER TABLE deliveries ADD COLUMN body_id " integer ";"               \
	"CREATE INDEX deliveries_by_body ON deliveries(body_id)"               \
	"  WHERE body_id IS NOT NULL;"

/* Migration 35 in either dialect. */
#define MEDIA_REMOTE_URL_SQL(text)                                             \
	"ALTER TABLE media_attachments ADD COLUMN remote_url " text ";"

/* Migration 36 in either dialect: reports to the moderators. A report's
 * statuses are named, not tied: one its author deletes stays listed (its
 * id) as evidence that it was there. */
#define REPORTS_SQL(integer, text)                                             \
	"CREATE TABLE reports ("                                               \
	"  id " integer " PRIMARY KEY,"                                        \
	"  account_id " integer " NOT NULL"                                    \
	"    REFERENCES accounts(id) ON DELETE CASCADE,"                       \
	"  target_account_id " integer " NOT NULL"                             \
	"    REFERENCES accounts(id) ON DELETE CASCADE,"                       \
	"  category " text " NOT NULL,"                                        \
	"  comment " text " NOT NULL,"                                         \
	"  rule_ids " text ","                                                 \
	"  forwarded " integer " NOT NULL DEFAULT 0,"                          \
	"  uri " text " UNIQUE,"                                               \
	"  assigned_account_id " integer                                       \
	"    REFERENCES accounts(id) ON DELETE SET NULL,"                      \
	"  action_taken_by_account_id " integer                                \
	"    REFERENCES accounts(id) ON DELETE SET NULL,"                      \
	"  action_taken_at " integer ","                                       \
	"  created_at " integer " NOT NULL,"                                   \
	"  updated_at " integer " NOT NULL);"                                  \
	"CREATE INDEX reports_by_target ON reports(target_account_id, id);"    \
	"CREATE INDEX reports_by_account ON reports(account_id, id);"          \
	"CREATE INDEX reports_by_assignee ON reports(assigned_account_id);"    \
	"CREATE INDEX reports_by_resolver"                                     \
	"  ON reports(action_taken_by_account_id);"                            \
	"CREATE TABLE report_statuses ("                                       \
	"  report_id " integer " NOT NULL"                                     \
	"    REFERENCES reports(id) ON DELETE CASCADE,"                        \
	"  status_id " integer " NOT NULL,"                                    \
	"  PRIMARY KEY (report_id, status_id));"

/* Migration 37 in either dialect: what moderators do to accounts
 * (suspended, silenced, media forced sensitive: each when; a user's
 * sign-in disabled, its sign-up waiting for approval and why), and the
 * log of every moderator's action. The log names its actor and target
 * as they were, so it outlives them. A block of another server gets an
 * id (the admin API's) and the comments the staff keep on it. An
 * invite lets its holders sign up (each use counted, never past its
 * uses: a constraint) until it expires. */
#define ACCOUNT_MODERATION_SQL(integer, text)                                  \
	"ALTER TABLE accounts ADD COLUMN suspended_at " integer ";"            \
	"ALTER TABLE accounts ADD COLUMN silenced_at " integer ";"             \
	"ALTER TABLE accounts ADD COLUMN sensitized_at " integer ";"           \
	"CREATE INDEX accounts_moderated ON accounts(id)"                      \
	"  WHERE suspended_at IS NOT NULL OR silenced_at IS NOT NULL"          \
	"  OR sensitized_at IS NOT NULL;"                                      \
	"ALTER TABLE users ADD COLUMN disabled " integer                       \
	"  NOT NULL DEFAULT 0;"                                                \
	"ALTER TABLE users ADD COLUMN approved " integer                       \
	"  NOT NULL DEFAULT 1;"                                                \
	"ALTER TABLE users ADD COLUMN sign_up_reason " text ";"                \
	"ALTER TABLE users ADD COLUMN sign_up_ip " text ";"                    \
	"CREATE TABLE admin_actions ("                                         \
	"  id " integer " PRIMARY KEY,"                                        \
	"  account_id " integer                                                \
	"    REFERENCES accounts(id) ON DELETE SET NULL,"                      \
	"  actor " text " NOT NULL,"                                           \
	"  action " text " NOT NULL,"                                          \
	"  target_type " text " NOT NULL,"                                     \
	"  target_id " integer ","                                             \
	"  target " text " NOT NULL,"                                          \
	"  report_id " integer ","                                             \
	"  text " text ","                                                     \
	"  created_at " integer " NOT NULL);"                                  \
	"CREATE INDEX admin_actions_by_actor ON admin_actions(account_id);"    \
	"CREATE INDEX admin_actions_by_target"                                 \
	"  ON admin_actions(target_type, target_id, id);"                      \
	"ALTER TABLE instance_blocks ADD COLUMN id " integer ";"               \
	"ALTER TABLE instance_blocks ADD COLUMN public_comment " text ";"      \
	"ALTER TABLE instance_blocks ADD COLUMN private_comment " text ";"     \
	"UPDATE instance_blocks SET id = created_at * 65536 + (SELECT "        \
	"count(*)"                                                             \
	"  FROM instance_blocks b WHERE b.domain < instance_blocks.domain);"   \
	"CREATE UNIQUE INDEX instance_blocks_by_id ON instance_blocks(id);"    \
	"CREATE TABLE invites ("                                               \
	"  id " integer " PRIMARY KEY,"                                        \
	"  code " text " NOT NULL UNIQUE,"                                     \
	"  account_id " integer                                                \
	"    REFERENCES accounts(id) ON DELETE SET NULL,"                      \
	"  max_uses " integer ","                                              \
	"  uses " integer " NOT NULL DEFAULT 0,"                               \
	"  expires_at " integer ","                                            \
	"  created_at " integer " NOT NULL,"                                   \
	"  CHECK (max_uses IS NULL OR uses <= max_uses));"                     \
	"CREATE INDEX invites_by_account ON invites(account_id);"              \
	"ALTER TABLE users ADD COLUMN invite_id " integer ";"

/* Migration 27 in either dialect. */
#define JOB_NODE_SQL(integer)                                                  \
	"ALTER TABLE jobs ADD COLUMN node " integer " NOT NULL DEFAULT 0;"

static const char *const migrations[] = {
	/* 1: accounts, apps, tokens, statuses, interactions, notifications */
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL,"
	"  username_key TEXT NOT NULL," /* lower-case, for lookup */
	"  domain TEXT,"		/* NULL for local accounts */
	"  display_name TEXT NOT NULL DEFAULT '',"
	"  note TEXT NOT NULL DEFAULT '',"
	"  note_html TEXT NOT NULL DEFAULT '',"
	"  fields TEXT NOT NULL DEFAULT '[]',"
	"  locked INTEGER NOT NULL DEFAULT 0,"
	"  bot INTEGER NOT NULL DEFAULT 0,"
	"  discoverable INTEGER NOT NULL DEFAULT 1,"
	"  privacy TEXT NOT NULL DEFAULT 'public',"
	"  sensitive INTEGER NOT NULL DEFAULT 0,"
	"  language TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  last_status_at INTEGER,"
	"  statuses_count INTEGER NOT NULL DEFAULT 0,"
	"  followers_count INTEGER NOT NULL DEFAULT 0,"
	"  following_count INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX accounts_by_name ON accounts"
	"  (username_key, COALESCE(domain, ''));"
	"CREATE TABLE users ("
	"  account_id INTEGER PRIMARY KEY REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  email TEXT NOT NULL UNIQUE,"
	"  password_hash TEXT NOT NULL,"
	"  role TEXT NOT NULL DEFAULT 'user',"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE apps ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  website TEXT,"
	"  redirect_uris TEXT NOT NULL,"
	"  scopes TEXT NOT NULL,"
	"  client_id TEXT NOT NULL UNIQUE,"
	"  client_secret TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  token_hash TEXT NOT NULL UNIQUE,"
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,"
	"  scopes TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE auth_codes ("
	"  code_hash TEXT PRIMARY KEY,"
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  scopes TEXT NOT NULL,"
	"  redirect_uri TEXT NOT NULL,"
	"  challenge TEXT,"
	"  expires_at INTEGER NOT NULL);"
	"CREATE TABLE statuses ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  text TEXT NOT NULL DEFAULT '',"
	"  content TEXT NOT NULL DEFAULT '',"
	"  spoiler_text TEXT NOT NULL DEFAULT '',"
	"  sensitive INTEGER NOT NULL DEFAULT 0,"
	"  visibility INTEGER NOT NULL,"
	"  language TEXT,"
	"  in_reply_to_id INTEGER,"
	"  in_reply_to_account_id INTEGER,"
	"  reblog_of_id INTEGER REFERENCES statuses(id) ON DELETE CASCADE,"
	"  thread_root_id INTEGER,"
	"  thread_path BLOB," /* ancestors' ids, 8 bytes each, big-endian */
	"  app_id INTEGER,"
	"  entities TEXT NOT NULL DEFAULT '{}'," /* tags + mentions JSON */
	"  created_at INTEGER NOT NULL,"
	"  edited_at INTEGER,"
	"  replies_count INTEGER NOT NULL DEFAULT 0,"
	"  reblogs_count INTEGER NOT NULL DEFAULT 0,"
	"  favourites_count INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX statuses_by_account ON statuses(account_id, id);"
	"CREATE INDEX statuses_by_thread ON statuses"
	"  (thread_root_id, thread_path);"
	/* partial: most statuses are not reblogs and skip this b-tree */
	"CREATE INDEX statuses_by_reblog ON statuses(reblog_of_id, account_id)"
	" WHERE reblog_of_id IS NOT NULL;"
	"CREATE TABLE status_edits ("
	"  id INTEGER PRIMARY KEY,"
	"  status_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  text TEXT NOT NULL,"
	"  content TEXT NOT NULL,"
	"  spoiler_text TEXT NOT NULL,"
	"  sensitive INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX status_edits_by_status ON status_edits(status_id, id);"
	"CREATE TABLE tags ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  key TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE status_tags ("
	"  tag_id INTEGER NOT NULL REFERENCES tags(id),"
	"  status_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  PRIMARY KEY (tag_id, status_id)) WITHOUT ROWID;"
	"CREATE INDEX status_tags_by_status ON status_tags(status_id);"
	"CREATE TABLE mentions ("
	"  status_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  PRIMARY KEY (status_id, account_id)) WITHOUT ROWID;"
	"CREATE INDEX mentions_by_account ON mentions(account_id, status_id);"
	"CREATE TABLE follows ("
	"  id INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  target_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  show_reblogs INTEGER NOT NULL DEFAULT 1,"
	"  notify INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (account_id, target_id)) WITHOUT ROWID;"
	"CREATE INDEX follows_by_target ON follows(target_id, id);"
	"CREATE INDEX follows_by_id ON follows(account_id, id);"
	"CREATE TABLE follow_requests ("
	"  id INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  target_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  show_reblogs INTEGER NOT NULL DEFAULT 1,"
	"  notify INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (account_id, target_id)) WITHOUT ROWID;"
	"CREATE INDEX follow_requests_by_target ON follow_requests"
	"  (target_id, id);"
	"CREATE TABLE favourites ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  status_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE);"
	"CREATE UNIQUE INDEX favourites_unique ON favourites"
	"  (account_id, status_id);"
	"CREATE INDEX favourites_by_status ON favourites(status_id, id);"
	"CREATE TABLE bookmarks ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  status_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE);"
	"CREATE UNIQUE INDEX bookmarks_unique ON bookmarks"
	"  (account_id, status_id);"
	"CREATE TABLE pins ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  status_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE);"
	"CREATE UNIQUE INDEX pins_unique ON pins(account_id, status_id);"
	"CREATE TABLE notifications ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  type TEXT NOT NULL,"
	"  from_account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  status_id INTEGER REFERENCES statuses(id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX notifications_by_account ON notifications"
	"  (account_id, id);"
	"CREATE TABLE idempotency ("
	"  account_id INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  status_id INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, key)) WITHOUT ROWID;"
	"CREATE TABLE markers ("
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  timeline TEXT NOT NULL,"
	"  last_read_id INTEGER NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, timeline)) WITHOUT ROWID;",

	/* 2: media attachments and the durable job queue that processes
	 * them. state: 0 processing, 1 ready, 2 failed. A job's state: 0
	 * waiting (from run_at), 1 running, 2 failed for good. */
	"CREATE TABLE media_attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  status_id INTEGER REFERENCES statuses(id) ON DELETE SET NULL,"
	"  position INTEGER NOT NULL DEFAULT 0,"
	"  type TEXT NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  mime TEXT NOT NULL,"
	"  file TEXT,"	  /* name under data/media once ready */
	"  preview TEXT," /* the small image or poster frame */
	"  source TEXT,"  /* the upload waiting to be processed */
	"  meta TEXT NOT NULL DEFAULT '{}',"
	"  description TEXT,"
	"  blurhash TEXT,"
	"  focus_x REAL NOT NULL DEFAULT 0,"
	"  focus_y REAL NOT NULL DEFAULT 0,"
	"  error TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX media_by_status ON media_attachments"
	"  (status_id, position);"
	"CREATE INDEX media_unattached ON media_attachments(created_at)"
	"  WHERE status_id IS NULL;"
	"ALTER TABLE accounts ADD COLUMN avatar TEXT;"
	"ALTER TABLE accounts ADD COLUMN header TEXT;"
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  arg INTEGER NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  run_at INTEGER NOT NULL,"
	"  error TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX jobs_due ON jobs(state, run_at);",

	/* 3: followed hashtags; attachments by owner (account deletion) */
	"CREATE TABLE tag_follows ("
	"  id INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  tag_id INTEGER NOT NULL REFERENCES tags(id),"
	"  PRIMARY KEY (account_id, tag_id)) WITHOUT ROWID;"
	"CREATE INDEX tag_follows_by_id ON tag_follows(account_id, id);"
	"CREATE INDEX tag_follows_by_tag ON tag_follows(tag_id, account_id);"
	"CREATE INDEX media_by_account ON media_attachments(account_id, id);",

	/* 4: hashtags featured on profiles */
	"CREATE TABLE featured_tags ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  tag_id INTEGER NOT NULL REFERENCES tags(id),"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (account_id, tag_id));",

	/* 5: trends. A tag's uses and distinct accounts per UTC day (day =
	 * ms / 86 400 000), counted by each public post as it is written;
	 * tag_day_accounts remembers who already counted that day. A tag's
	 * trend row keeps its peak score and the time-free rank key of that
	 * peak (domain/trends.h), and its review: 0 unreviewed, 1 approved,
	 * 2 rejected. A status's trend row keeps its score's rank key. The
	 * day counters are filled from the posts already stored. */
	"CREATE TABLE tag_days ("
	"  tag_id INTEGER NOT NULL REFERENCES tags(id),"
	"  day INTEGER NOT NULL,"
	"  uses INTEGER NOT NULL,"
	"  accounts INTEGER NOT NULL,"
	"  PRIMARY KEY (tag_id, day)) WITHOUT ROWID;"
	"CREATE TABLE tag_day_accounts ("
	"  tag_id INTEGER NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL,"
	"  PRIMARY KEY (tag_id, day, account_id)) WITHOUT ROWID;"
	"CREATE TABLE tag_trends ("
	"  tag_id INTEGER PRIMARY KEY REFERENCES tags(id),"
	"  max_score REAL NOT NULL DEFAULT 0,"
	"  max_score_at INTEGER NOT NULL DEFAULT 0,"
	"  rank_key REAL," /* NULL while it never scored */
	"  review INTEGER NOT NULL DEFAULT 0,"
	"  reviewed_at INTEGER,"
	"  requested_review_at INTEGER);"
	"CREATE INDEX tag_trends_by_rank ON tag_trends(rank_key)"
	"  WHERE rank_key IS NOT NULL;"
	"CREATE TABLE status_trends ("
	"  status_id INTEGER PRIMARY KEY REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  score REAL NOT NULL,"
	"  rank_key REAL NOT NULL);"
	"CREATE INDEX status_trends_by_rank ON status_trends(rank_key);"
	"INSERT INTO tag_day_accounts (tag_id, day, account_id)"
	"  SELECT DISTINCT t.tag_id, s.created_at / 86400000, s.account_id"
	"  FROM status_tags t JOIN statuses s ON s.id = t.status_id"
	"  WHERE s.visibility = 0 AND s.reblog_of_id IS NULL;"
	"INSERT INTO tag_days (tag_id, day, uses, accounts)"
	"  SELECT t.tag_id, s.created_at / 86400000, count(*),"
	"  count(DISTINCT s.account_id)"
	"  FROM status_tags t JOIN statuses s ON s.id = t.status_id"
	"  WHERE s.visibility = 0 AND s.reblog_of_id IS NULL"
	"  GROUP BY t.tag_id, s.created_at / 86400000;",
	/* 6: full-text search. SQLite's FTS5 (a PostgreSQL backend would
	 * use its own text search here). Both indexes keep no copy of the
	 * text: their content is read from accounts and from the view
	 * below, and triggers keep them in step inside the transaction of
	 * every write that changes indexed text, whatever code wrote it.
	 * An external-content index must be told the exact text it indexed
	 * to forget a row, so each trigger removes a row with the view's
	 * values *before* the change and adds it again after. The
	 * 'chorus' tokenizer is store/search.c's. Status ids are the
	 * rowids, so ORDER BY rowid DESC pages newest first; the author's
	 * id is a column of its own, so from: is one more term of the
	 * index's own AND instead of a filter on its matches. */
	"CREATE VIEW status_search_docs AS"
	"  SELECT s.id AS id, s.text AS text, s.spoiler_text AS spoiler_text,"
	"  CAST(s.account_id AS TEXT) AS author,"
	"  (SELECT group_concat(d, ' ') FROM (SELECT m.description AS d"
	"    FROM media_attachments m WHERE m.status_id = s.id"
	"    AND m.description IS NOT NULL ORDER BY m.position, m.id))"
	"    AS media"
	"  FROM statuses s WHERE s.reblog_of_id IS NULL;"
	"CREATE VIRTUAL TABLE status_search USING fts5("
	"  text, spoiler_text, media, author, content = 'status_search_docs',"
	"  content_rowid = 'id', tokenize = 'chorus');"
	"CREATE VIRTUAL TABLE account_search USING fts5("
	"  username, display_name, content = 'accounts', content_rowid = 'id',"
	"  tokenize = 'chorus', prefix = '1 2 3');"
	"CREATE TRIGGER status_search_insert AFTER INSERT ON statuses"
	"  WHEN new.reblog_of_id IS NULL BEGIN"
	"  INSERT INTO status_search (rowid, text, spoiler_text, media,"
	"  author) SELECT id, text, spoiler_text, media, author"
	"  FROM status_search_docs"
	"  WHERE id IN (new.id);"
	"  END;"
	"CREATE TRIGGER status_search_unindex BEFORE UPDATE OF text,"
	"  spoiler_text ON statuses BEGIN"
	"  INSERT INTO status_search (status_search, rowid, text,"
	"  spoiler_text, media, author) SELECT 'delete', id, text,"
	"  spoiler_text, media, author FROM status_search_docs WHERE id IN "
	"(old.id);"
	"  END;"
	"CREATE TRIGGER status_search_reindex AFTER UPDATE OF text,"
	"  spoiler_text ON statuses BEGIN"
	"  INSERT INTO status_search (rowid, text, spoiler_text, media,"
	"  author) SELECT id, text, spoiler_text, media, author"
	"  FROM status_search_docs"
	"  WHERE id IN (new.id);"
	"  END;"
	"CREATE TRIGGER status_search_delete BEFORE DELETE ON statuses"
	"  BEGIN"
	"  INSERT INTO status_search (status_search, rowid, text,"
	"  spoiler_text, media, author) SELECT 'delete', id, text,"
	"  spoiler_text, media, author FROM status_search_docs WHERE id IN "
	"(old.id);"
	"  END;"
	/* an attachment's description is part of its status's text */
	"CREATE TRIGGER media_search_insert_before BEFORE INSERT"
	"  ON media_attachments WHEN new.status_id IS NOT NULL BEGIN"
	"  INSERT INTO status_search (status_search, rowid, text,"
	"  spoiler_text, media, author) SELECT 'delete', id, text,"
	"  spoiler_text, media, author FROM status_search_docs WHERE id IN "
	"(new.status_id);"
	"  END;"
	"CREATE TRIGGER media_search_insert_after AFTER INSERT"
	"  ON media_attachments WHEN new.status_id IS NOT NULL BEGIN"
	"  INSERT INTO status_search (rowid, text, spoiler_text, media,"
	"  author) SELECT id, text, spoiler_text, media, author"
	"  FROM status_search_docs"
	"  WHERE id IN (new.status_id);"
	"  END;"
	"CREATE TRIGGER media_search_update_before BEFORE UPDATE OF"
	"  status_id, description, position ON media_attachments"
	"  WHEN old.status_id IS NOT NULL OR new.status_id IS NOT NULL"
	"  BEGIN"
	"  INSERT INTO status_search (status_search, rowid, text,"
	"  spoiler_text, media, author) SELECT 'delete', id, text,"
	"  spoiler_text, media, author FROM status_search_docs"
	"  WHERE id IN (old.status_id, new.status_id);"
	"  END;"
	"CREATE TRIGGER media_search_update_after AFTER UPDATE OF"
	"  status_id, description, position ON media_attachments"
	"  WHEN old.status_id IS NOT NULL OR new.status_id IS NOT NULL"
	"  BEGIN"
	"  INSERT INTO status_search (rowid, text, spoiler_text, media,"
	"  author) SELECT id, text, spoiler_text, media, author"
	"  FROM status_search_docs"
	"  WHERE id IN (old.status_id, new.status_id);"
	"  END;"
	"CREATE TRIGGER media_search_delete_before BEFORE DELETE"
	"  ON media_attachments WHEN old.status_id IS NOT NULL BEGIN"
	"  INSERT INTO status_search (status_search, rowid, text,"
	"  spoiler_text, media, author) SELECT 'delete', id, text,"
	"  spoiler_text, media, author FROM status_search_docs WHERE id IN "
	"(old.status_id);"
	"  END;"
	"CREATE TRIGGER media_search_delete_after AFTER DELETE"
	"  ON media_attachments WHEN old.status_id IS NOT NULL BEGIN"
	"  INSERT INTO status_search (rowid, text, spoiler_text, media,"
	"  author) SELECT id, text, spoiler_text, media, author"
	"  FROM status_search_docs"
	"  WHERE id IN (old.status_id);"
	"  END;"
	"CREATE TRIGGER account_search_insert AFTER INSERT ON accounts BEGIN"
	"  INSERT INTO account_search (rowid, username, display_name)"
	"  VALUES (new.id, new.username, new.display_name); END;"
	"CREATE TRIGGER account_search_update AFTER UPDATE OF username,"
	"  display_name ON accounts BEGIN"
	"  INSERT INTO account_search (account_search, rowid, username,"
	"  display_name) VALUES ('delete', old.id, old.username,"
	"  old.display_name);"
	"  INSERT INTO account_search (rowid, username, display_name)"
	"  VALUES (new.id, new.username, new.display_name); END;"
	"CREATE TRIGGER account_search_delete AFTER DELETE ON accounts BEGIN"
	"  INSERT INTO account_search (account_search, rowid, username,"
	"  display_name) VALUES ('delete', old.id, old.username,"
	"  old.display_name); END;"
	/* what was written before this migration */
	"INSERT INTO status_search (status_search) VALUES ('rebuild');"
	"INSERT INTO account_search (account_search) VALUES ('rebuild');",
	/* 7: new statuses are indexed in batches, not each in its own
	 * write. One FTS5 insert per transaction writes a fresh segment and
	 * the index's structure record: it halved POST throughput. A new
	 * status now only enters search_backlog; store_search_flush()
	 * indexes the backlog in one transaction (every second, and before
	 * any status search reads the index, so a search still finds what
	 * was posted before it). Until then the status is not in the index,
	 * so the triggers that remove and re-add a status's entry on edits,
	 * deletes and attachment changes skip a backlogged one: the flush
	 * indexes whatever its text is by then. */
	"CREATE TABLE search_backlog (status_id INTEGER PRIMARY KEY);"
	"DROP TRIGGER status_search_insert;"
	"DROP TRIGGER status_search_unindex;"
	"DROP TRIGGER status_search_reindex;"
	"DROP TRIGGER status_search_delete;"
	"DROP TRIGGER media_search_insert_before;"
	"DROP TRIGGER media_search_insert_after;"
	"DROP TRIGGER media_search_update_before;"
	"DROP TRIGGER media_search_update_after;"
	"DROP TRIGGER media_search_delete_before;"
	"DROP TRIGGER media_search_delete_after;"
	"CREATE TRIGGER status_search_insert AFTER INSERT ON statuses"
	"  WHEN new.reblog_of_id IS NULL BEGIN"
	"  INSERT OR IGNORE INTO search_backlog (status_id) VALUES (new.id);"
	"  END;"
	"CREATE TRIGGER status_search_unindex BEFORE UPDATE OF text,"
	"  spoiler_text ON statuses BEGIN" SEARCH_FORGET(
		"old.id") "END;"
			  "CREATE TRIGGER status_search_reindex AFTER UPDATE "
			  "OF text,"
			  "  spoiler_text ON statuses BEGIN" SEARCH_ADD(
				  "new.id") "END;"
					    "CREATE TRIGGER "
					    "status_search_delete BEFORE "
					    "DELETE ON statuses"
					    "  BEGIN" SEARCH_FORGET(
						    "old.id") "  DELETE FROM "
							      "search_backlog "
							      "WHERE status_id "
							      "= old.id; END;"
							      /* an attachment's
								 description is
								 part of its
								 status's text
							       */
							      "CREATE TRIGGER "
							      "media_search_"
							      "insert_before "
							      "BEFORE INSERT"
							      "  ON "
							      "media_"
							      "attachments "
							      "WHEN "
							      "new.status_id "
							      "IS NOT NULL "
							      "BEGI"
							      "N" SEARCH_FORGET(
								      "new."
								      "status_"
								      "id") "EN"
									    "D;"
									    "CR"
									    "EA"
									    "TE"
									    " T"
									    "RI"
									    "GG"
									    "ER"
									    " m"
									    "ed"
									    "ia"
									    "_s"
									    "ea"
									    "rc"
									    "h_"
									    "in"
									    "se"
									    "rt"
									    "_a"
									    "ft"
									    "er"
									    " A"
									    "FT"
									    "ER"
									    " I"
									    "NS"
									    "ER"
									    "T"
									    "  "
									    "ON"
									    " m"
									    "ed"
									    "ia"
									    "_a"
									    "tt"
									    "ac"
									    "hm"
									    "en"
									    "ts"
									    " W"
									    "HE"
									    "N "
									    "ne"
									    "w."
									    "st"
									    "at"
									    "us"
									    "_i"
									    "d "
									    "IS"
									    " N"
									    "OT"
									    " N"
									    "UL"
									    "L "
									    "BE"
									    "GI"
									    "N" SEARCH_ADD(
										    "new.status_id") "END;"
												     "CREATE TRIGGER media_search_update_before BEFORE UPDATE OF"
												     "  status_id, description, position ON media_attachments"
												     "  WHEN old.status_id IS NOT NULL OR new.status_id IS NOT NULL"
												     "  BEGIN" SEARCH_FORGET(
													     "old.status_id, new.status_id") "END;"
																	     "CREATE TRIGGER media_search_update_after AFTER UPDATE OF"
																	     "  status_id, description, position ON media_attachments"
																	     "  WHEN old.status_id IS NOT NULL OR new.status_id IS NOT NULL"
																	     "  BEGIN" SEARCH_ADD(
																		     "old.status_id, new.status_id") "END;"
																						     "CREATE TRIGGER media_search_delete_before BEFORE DELETE"
																						     "  ON media_attachments WHEN old.status_id IS NOT NULL BEGIN" SEARCH_FORGET(
																							     "old.status_id") "END;"
																									      "CREATE TRIGGER media_search_delete_after AFTER DELETE"
																									      "  ON media_attachments WHEN old.status_id IS NOT NULL BEGIN" SEARCH_ADD(
																										      "old.status_id") "END;",
	/* 8: an edit never widens or narrows who received what. A mention
	 * an edit removes stays as a row with removed = 1, so its account
	 * keeps access to the status (as Mastodon keeps silent mentions);
	 * status_edit_mentions records whom each version addressed, so
	 * the history shows a mentioned viewer only the versions written
	 * to them. Before this migration only the newest version's
	 * addressees are known: the current mentions. */
	"ALTER TABLE mentions ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE status_edit_mentions ("
	"  edit_id INTEGER NOT NULL REFERENCES status_edits(id)"
	"    ON DELETE CASCADE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  PRIMARY KEY (edit_id, account_id));"
	/* an account's deletion cascades here */
	"CREATE INDEX status_edit_mentions_by_account"
	"  ON status_edit_mentions(account_id);"
	"INSERT INTO status_edit_mentions (edit_id, account_id)"
	"  SELECT e.id, m.account_id FROM mentions m JOIN status_edits e"
	"  ON e.status_id = m.status_id WHERE e.id = (SELECT max(x.id)"
	"  FROM status_edits x WHERE x.status_id = m.status_id);",

	/* 9: a counter every token deletion bumps (a revocation, a new
	 * password, an account deleted: its tokens cascade), whichever
	 * process made it. The streaming thread reads it before each event
	 * and re-checks its streams' tokens when it moved, so a stream
	 * revoked from the CLI never carries another post. */
	"CREATE TABLE token_revision ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  n INTEGER NOT NULL);"
	"INSERT INTO token_revision (id, n) VALUES (1, 0);"
	"CREATE TRIGGER tokens_revised AFTER DELETE ON tokens BEGIN"
	"  UPDATE token_revision SET n = n + 1 WHERE id = 1;"
	"END;",

	/* 10: an index under every foreign key a delete cascades through.
	 * Without one SQLite scans the child table to find the rows to
	 * delete: removing any status (an unreblog too) read every
	 * notification — 20–140 ms at 150 000 of them, 200 unreblogs a
	 * second — and an account's deletion every token. One exception:
	 * notifications.from_account_id, which only an account's deletion
	 * cascades through, and whose index cost a quarter of favourite
	 * throughput (bench/ab.sh, BENCHMARKS.md). */
	"CREATE INDEX IF NOT EXISTS notifications_by_status"
	"  ON notifications(status_id);"
	"CREATE INDEX IF NOT EXISTS bookmarks_by_status ON "
	"bookmarks(status_id);"
	"CREATE INDEX IF NOT EXISTS pins_by_status ON pins(status_id);"
	"CREATE INDEX IF NOT EXISTS tokens_by_account ON tokens(account_id);"
	"CREATE INDEX IF NOT EXISTS tokens_by_app ON tokens(app_id);"
	"CREATE INDEX IF NOT EXISTS auth_codes_by_app ON auth_codes(app_id);"
	"CREATE INDEX IF NOT EXISTS auth_codes_by_account"
	"  ON auth_codes(account_id);"
	"CREATE INDEX IF NOT EXISTS featured_tags_by_tag ON "
	"featured_tags(tag_id);",

	/* 11: per-account limits the database enforces. The limits
	 * are configuration, so the server writes them into `limits` at
	 * start (store_limit_set) and a trigger refuses the row that would
	 * go over: a count checked before the insert cannot be raced past,
	 * whatever path the insert comes from. No row, no limit. A pin or
	 * feature that already exists is let through to its unique index. */
	"CREATE TABLE limits ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL);"
	"CREATE TRIGGER pins_limit BEFORE INSERT ON pins"
	"  WHEN (SELECT count(*) FROM pins WHERE account_id = NEW.account_id)"
	"    >= (SELECT value FROM limits WHERE name = 'max_pinned')"
	"  AND NOT EXISTS (SELECT 1 FROM pins WHERE account_id ="
	"    NEW.account_id AND status_id = NEW.status_id)"
	"BEGIN SELECT RAISE(ABORT, 'limit: max_pinned'); END;"
	"CREATE TRIGGER featured_tags_limit BEFORE INSERT ON featured_tags"
	"  WHEN (SELECT count(*) FROM featured_tags"
	"    WHERE account_id = NEW.account_id)"
	"    >= (SELECT value FROM limits WHERE name = 'max_featured_tags')"
	"  AND NOT EXISTS (SELECT 1 FROM featured_tags WHERE account_id ="
	"    NEW.account_id AND tag_id = NEW.tag_id)"
	"BEGIN SELECT RAISE(ABORT, 'limit: max_featured_tags'); END;",

	/* 12: one boost per account and post, one notification per act.
	 * The existence check of a boost ran outside the insert's
	 * transaction, so concurrent boosts stored twice; undoing an act
	 * left its notification, and doing it again added another. First
	 * what that left behind goes: the newer of each doubled boost (its
	 * author's statuses_count with it) and the boosted posts' counts
	 * are recounted; notifications whose act is gone, and all but the
	 * newest of each doubled one. Then the database enforces both. Undoing
	 * an act removes its notification in the undo's own statement, by
	 * trigger, whatever path (or cascade) the undo comes from. Edits
	 * notify again ("update"): the unique row moves to the newest. */
	"UPDATE accounts SET statuses_count = max(0, statuses_count -"
	"  (SELECT count(*) FROM statuses s WHERE s.account_id = accounts.id"
	"   AND s.reblog_of_id IS NOT NULL AND s.visibility <> 3"
	"   AND EXISTS (SELECT 1 FROM statuses t WHERE t.reblog_of_id ="
	"    s.reblog_of_id AND t.account_id = s.account_id AND t.id < s.id)))"
	" WHERE id IN (SELECT s.account_id FROM statuses s"
	"  WHERE s.reblog_of_id IS NOT NULL AND EXISTS (SELECT 1 FROM statuses "
	"t"
	"   WHERE t.reblog_of_id = s.reblog_of_id"
	"   AND t.account_id = s.account_id AND t.id < s.id));"
	"DELETE FROM statuses WHERE reblog_of_id IS NOT NULL AND EXISTS ("
	"  SELECT 1 FROM statuses t WHERE t.reblog_of_id = "
	"statuses.reblog_of_id"
	"  AND t.account_id = statuses.account_id AND t.id < statuses.id);"
	"UPDATE statuses SET reblogs_count = (SELECT count(*) FROM statuses r"
	"  WHERE r.reblog_of_id = statuses.id) WHERE reblogs_count > 0;"
	"DROP INDEX statuses_by_reblog;"
	"CREATE UNIQUE INDEX statuses_one_reblog"
	"  ON statuses(reblog_of_id, account_id) WHERE reblog_of_id IS NOT "
	"NULL;"
	"DELETE FROM notifications WHERE"
	"  (type = 'favourite' AND NOT EXISTS (SELECT 1 FROM favourites f"
	"   WHERE f.account_id = notifications.from_account_id"
	"   AND f.status_id = notifications.status_id))"
	"  OR (type = 'reblog' AND NOT EXISTS (SELECT 1 FROM statuses r"
	"   WHERE r.reblog_of_id = notifications.status_id"
	"   AND r.account_id = notifications.from_account_id))"
	"  OR (type = 'follow' AND NOT EXISTS (SELECT 1 FROM follows f"
	"   WHERE f.account_id = notifications.from_account_id"
	"   AND f.target_id = notifications.account_id))"
	"  OR (type = 'follow_request' AND NOT EXISTS (SELECT 1"
	"   FROM follow_requests f"
	"   WHERE f.account_id = notifications.from_account_id"
	"   AND f.target_id = notifications.account_id));"
	"DELETE FROM notifications WHERE EXISTS (SELECT 1 FROM notifications n"
	"  WHERE n.account_id = notifications.account_id"
	"  AND n.from_account_id = notifications.from_account_id"
	"  AND n.type = notifications.type"
	"  AND coalesce(n.status_id, 0) = coalesce(notifications.status_id, 0)"
	"  AND n.id > notifications.id);"
	"CREATE UNIQUE INDEX notifications_one_per_act ON notifications"
	"  (account_id, from_account_id, type, coalesce(status_id, 0));"
	"CREATE TRIGGER favourites_unnotify AFTER DELETE ON favourites BEGIN"
	"  DELETE FROM notifications WHERE status_id = OLD.status_id"
	"  AND from_account_id = OLD.account_id AND type = 'favourite';"
	"END;"
	"CREATE TRIGGER reblogs_unnotify AFTER DELETE ON statuses"
	"  WHEN OLD.reblog_of_id IS NOT NULL BEGIN"
	"  DELETE FROM notifications WHERE status_id = OLD.reblog_of_id"
	"  AND from_account_id = OLD.account_id AND type = 'reblog';"
	"END;"
	"CREATE TRIGGER follows_unnotify AFTER DELETE ON follows BEGIN"
	"  DELETE FROM notifications WHERE account_id = OLD.target_id"
	"  AND from_account_id = OLD.account_id AND type = 'follow';"
	"END;"
	"CREATE TRIGGER follow_requests_unnotify AFTER DELETE ON "
	"follow_requests"
	"  BEGIN"
	"  DELETE FROM notifications WHERE account_id = OLD.target_id"
	"  AND from_account_id = OLD.account_id AND type = 'follow_request';"
	"END;",

	/* 13: browser sessions of the web pages. Like tokens, only the
	 * SHA-256 of the cookie's secret is kept, so a copy of the database
	 * signs no one in. last_used_at lets an idle session expire (and is
	 * written at most once an hour per session, not per page view). A
	 * session is no token: it belongs to no app and is never a bearer
	 * credential of the API. */
	"CREATE TABLE web_sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  token_hash TEXT NOT NULL UNIQUE,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL,"
	"  last_used_at INTEGER NOT NULL,"
	"  user_agent TEXT NOT NULL DEFAULT '');"
	/* an account's deletion and a new password delete through it */
	"CREATE INDEX web_sessions_by_account ON web_sessions(account_id);",

	/* 14: the busiest threads of a day, counted as replies are written
	 * (the replies replies_count counts: public and unlisted), so the
	 * front page and a tag's page read the top of an index instead of
	 * counting a day's replies: per thread, and per hashtag the thread
	 * carries (its root's tags and the reply's own). Like the tag day
	 * counts, a deleted reply still counts; a deleted root is dropped
	 * when read. Rows older than yesterday are pruned. The replies of
	 * the newest post's day and the day before are counted in (the
	 * newest post, not the clock: no time function both SQLite and
	 * PostgreSQL know). */
	"CREATE TABLE thread_days ("
	"  day INTEGER NOT NULL,"
	"  root_id INTEGER NOT NULL,"
	"  replies INTEGER NOT NULL,"
	"  PRIMARY KEY (day, root_id)) WITHOUT ROWID;"
	/* (an index holds the primary key's columns too: root_id breaks
	 * ties) */
	"CREATE INDEX thread_days_busiest ON thread_days(day, replies);"
	"CREATE TABLE tag_thread_days ("
	"  tag_id INTEGER NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  root_id INTEGER NOT NULL,"
	"  replies INTEGER NOT NULL,"
	"  PRIMARY KEY (tag_id, day, root_id)) WITHOUT ROWID;"
	"CREATE INDEX tag_thread_days_busiest"
	"  ON tag_thread_days(tag_id, day, replies);"
	"INSERT INTO thread_days (day, root_id, replies)"
	"  SELECT created_at / 86400000, thread_root_id, count(*)"
	"  FROM statuses WHERE in_reply_to_id IS NOT NULL"
	"  AND visibility IN (0, 1) AND thread_root_id IS NOT NULL"
	"  AND created_at >= ((SELECT max(created_at) FROM statuses)"
	"    / 86400000 - 1) * 86400000"
	"  GROUP BY created_at / 86400000, thread_root_id;"
	"INSERT INTO tag_thread_days (tag_id, day, root_id, replies)"
	"  SELECT tag_id, day, root, count(*) FROM ("
	"    SELECT t.tag_id AS tag_id, s.created_at / 86400000 AS day,"
	"      s.thread_root_id AS root, s.id AS reply"
	"    FROM statuses s JOIN status_tags t ON t.status_id = s.id"
	"    WHERE s.in_reply_to_id IS NOT NULL AND s.visibility IN (0, 1)"
	"    AND s.thread_root_id IS NOT NULL"
	"    AND s.created_at >= ((SELECT max(created_at) FROM statuses)"
	"      / 86400000 - 1) * 86400000"
	"    UNION"
	"    SELECT t.tag_id, s.created_at / 86400000, s.thread_root_id, s.id"
	"    FROM statuses s"
	"    JOIN status_tags t ON t.status_id = s.thread_root_id"
	"    WHERE s.in_reply_to_id IS NOT NULL AND s.visibility IN (0, 1)"
	"    AND s.created_at >= ((SELECT max(created_at) FROM statuses)"
	"      / 86400000 - 1) * 86400000) AS counted"
	"  GROUP BY tag_id, day, root;",

	/* 15: who decides who reaches them. A block cuts both ways, so
	 * each table has an index from either side; a mute carries its end
	 * (NULL: for good) and whether it silences notifications too. No
	 * one blocks or mutes themselves, and no follow or follow request
	 * exists between two accounts one of which blocks the other: the
	 * block deletes them in its transaction, and the triggers refuse
	 * a new one with the message "blocked" (store maps it). A user's
	 * domain blocks wait for federation's remote accounts. */
	"CREATE TABLE blocks ("
	"  id INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  target_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  PRIMARY KEY (account_id, target_id),"
	"  CHECK (account_id <> target_id)) WITHOUT ROWID;"
	"CREATE INDEX blocks_by_target ON blocks(target_id, account_id);"
	"CREATE INDEX blocks_by_id ON blocks(account_id, id);"
	"CREATE TABLE mutes ("
	"  id INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  target_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  notifications INTEGER NOT NULL DEFAULT 1,"
	"  expires_at INTEGER,"
	"  PRIMARY KEY (account_id, target_id),"
	"  CHECK (account_id <> target_id)) WITHOUT ROWID;"
	"CREATE INDEX mutes_by_target ON mutes(target_id, account_id);"
	"CREATE INDEX mutes_by_id ON mutes(account_id, id);"
	"CREATE TABLE domain_blocks ("
	"  id INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  domain TEXT NOT NULL,"
	"  PRIMARY KEY (account_id, domain)) WITHOUT ROWID;"
	"CREATE INDEX domain_blocks_by_id ON domain_blocks(account_id, id);"
	"CREATE TRIGGER follows_not_blocked BEFORE INSERT ON follows"
	"  WHEN EXISTS (SELECT 1 FROM blocks WHERE"
	"    (account_id = NEW.account_id AND target_id = NEW.target_id) OR"
	"    (account_id = NEW.target_id AND target_id = NEW.account_id))"
	"  BEGIN SELECT RAISE(ABORT, 'blocked'); END;"
	"CREATE TRIGGER follow_requests_not_blocked BEFORE INSERT ON"
	"  follow_requests"
	"  WHEN EXISTS (SELECT 1 FROM blocks WHERE"
	"    (account_id = NEW.account_id AND target_id = NEW.target_id) OR"
	"    (account_id = NEW.target_id AND target_id = NEW.account_id))"
	"  BEGIN SELECT RAISE(ABORT, 'blocked'); END;",

	/* 16: grouped notifications (Mastodon 4.3). Favourites and boosts
	 * of one post, and follows, that arrive within twelve hours of the
	 * group's first hour share a group_key; every other notification is
	 * its own group. notification_groups keeps each group's newest and
	 * oldest id, when the newest came, and its size as the rows come
	 * and go (the triggers), so a page of
	 * groups is the top of an index however many notifications an
	 * account has: ten thousand favourites are one row to read, not
	 * ten thousand. status_id is 0 for none, so the lookup of a post's
	 * open group uses the index. */
	"ALTER TABLE notifications ADD COLUMN group_key TEXT;"
	"UPDATE notifications SET group_key = CASE"
	"  WHEN type IN ('favourite', 'reblog') THEN type || '-' ||"
	"    status_id || '-' || (created_at / 3600000)"
	"  WHEN type = 'follow' THEN 'follow-' || (created_at / 3600000)"
	"  ELSE 'ungrouped-' || id END;"
	/* covering: a group's senders are read from the index alone */
	"CREATE INDEX notifications_by_group ON notifications"
	"  (account_id, group_key, id, from_account_id);"
	"CREATE TABLE notification_groups ("
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  group_key TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  status_id INTEGER NOT NULL DEFAULT 0,"
	"  bucket INTEGER NOT NULL," /* the hour the group began */
	"  latest_id INTEGER NOT NULL,"
	"  latest_at INTEGER NOT NULL,"
	"  oldest_id INTEGER NOT NULL,"
	"  notifications_count INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, group_key)) WITHOUT ROWID;"
	"CREATE INDEX notification_groups_latest ON notification_groups"
	"  (account_id, latest_id);"
	"CREATE INDEX notification_groups_open ON notification_groups"
	"  (account_id, type, status_id, latest_id);"
	"INSERT INTO notification_groups (account_id, group_key, type,"
	"  status_id, bucket, latest_id, latest_at, oldest_id,"
	"  notifications_count)"
	"  SELECT account_id, group_key, min(type), coalesce(min(status_id), "
	"0),"
	"  min(created_at) / 3600000, max(id), max(created_at), min(id),"
	"  count(*) FROM notifications"
	"  GROUP BY account_id, group_key;"
	"CREATE TRIGGER notification_groups_add AFTER INSERT ON notifications"
	"  BEGIN"
	"  INSERT INTO notification_groups (account_id, group_key, type,"
	"    status_id, bucket, latest_id, latest_at, oldest_id,"
	"    notifications_count)"
	"    VALUES (NEW.account_id, NEW.group_key, NEW.type,"
	"    coalesce(NEW.status_id, 0), NEW.created_at / 3600000, NEW.id,"
	"    NEW.created_at, NEW.id, 1)"
	/* (every SET reads the row as it was) */
	"    ON CONFLICT (account_id, group_key) DO UPDATE SET"
	"    latest_id = max(latest_id, NEW.id),"
	"    latest_at = CASE WHEN NEW.id > latest_id THEN NEW.created_at"
	"      ELSE latest_at END,"
	"    oldest_id = min(oldest_id, NEW.id),"
	"    notifications_count = notifications_count + 1;"
	"END;"
	"CREATE TRIGGER notification_groups_remove AFTER DELETE ON"
	"  notifications BEGIN"
	"  UPDATE notification_groups SET"
	"    notifications_count = notifications_count - 1,"
	"    latest_id = coalesce((SELECT max(id) FROM notifications"
	"      WHERE account_id = OLD.account_id"
	"      AND group_key = OLD.group_key), latest_id),"
	"    latest_at = coalesce((SELECT created_at FROM notifications"
	"      WHERE account_id = OLD.account_id"
	"      AND group_key = OLD.group_key ORDER BY id DESC LIMIT 1),"
	"      latest_at),"
	"    oldest_id = coalesce((SELECT min(id) FROM notifications"
	"      WHERE account_id = OLD.account_id"
	"      AND group_key = OLD.group_key), oldest_id)"
	"    WHERE account_id = OLD.account_id AND group_key = OLD.group_key;"
	"  DELETE FROM notification_groups WHERE account_id = OLD.account_id"
	"    AND group_key = OLD.group_key AND notifications_count <= 0;"
	"END;"
	/* an edit's notification moves to a new id (store_notification_
	 * insert): its group moves with it */
	"CREATE TRIGGER notification_groups_move AFTER UPDATE OF id ON"
	"  notifications BEGIN"
	"  UPDATE notification_groups SET latest_id = (SELECT max(id)"
	"    FROM notifications WHERE account_id = NEW.account_id"
	"    AND group_key = NEW.group_key),"
	"    latest_at = (SELECT created_at FROM notifications"
	"    WHERE account_id = NEW.account_id AND group_key = NEW.group_key"
	"    ORDER BY id DESC LIMIT 1),"
	"    oldest_id = (SELECT min(id) FROM notifications"
	"    WHERE account_id = NEW.account_id AND group_key = NEW.group_key)"
	"    WHERE account_id = NEW.account_id AND group_key = NEW.group_key;"
	"END;",

	/* 17: muted threads. A thread is muted by its root, so a reply
	 * written after the mute is muted too; the muter gets no more
	 * notifications from it, and its statuses say muted. */
	"CREATE TABLE thread_mutes ("
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  root_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  PRIMARY KEY (account_id, root_id)) WITHOUT ROWID;"
	"CREATE INDEX thread_mutes_by_root ON thread_mutes(root_id);",

	/* 18: the notification policy (Mastodon 4.3): per account, what to
	 * do with notifications from people not followed, not following,
	 * new, with unsolicited private mentions, or limited — 0 accept,
	 * 1 filter, 2 drop (no row: the defaults). A filtered notification
	 * waits in filtered_notifications, one request per sender, until
	 * the request is accepted (its notifications move into the list,
	 * and the sender is let through from then on) or dismissed. */
	"CREATE TABLE notification_policies ("
	"  account_id INTEGER PRIMARY KEY REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  for_not_following INTEGER NOT NULL DEFAULT 0,"
	"  for_not_followers INTEGER NOT NULL DEFAULT 0,"
	"  for_new_accounts INTEGER NOT NULL DEFAULT 0,"
	"  for_private_mentions INTEGER NOT NULL DEFAULT 1,"
	"  for_limited_accounts INTEGER NOT NULL DEFAULT 1);"
	"CREATE TABLE notification_requests ("
	"  id INTEGER NOT NULL,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  from_account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  last_status_id INTEGER REFERENCES statuses(id) ON DELETE SET NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, from_account_id)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX notification_requests_by_id"
	"  ON notification_requests(account_id, id);"
	"CREATE INDEX notification_requests_by_sender"
	"  ON notification_requests(from_account_id);"
	"CREATE INDEX notification_requests_by_status"
	"  ON notification_requests(last_status_id);"
	"CREATE TABLE filtered_notifications ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  type TEXT NOT NULL,"
	"  from_account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  status_id INTEGER REFERENCES statuses(id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX filtered_notifications_one_per_act"
	"  ON filtered_notifications"
	"  (account_id, from_account_id, type, coalesce(status_id, 0));"
	"CREATE INDEX filtered_notifications_by_sender"
	"  ON filtered_notifications(from_account_id);"
	"CREATE INDEX filtered_notifications_by_status"
	"  ON filtered_notifications(status_id);"
	"CREATE TABLE notification_permissions ("
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  from_account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  PRIMARY KEY (account_id, from_account_id)) WITHOUT ROWID;"
	"CREATE INDEX notification_permissions_by_sender"
	"  ON notification_permissions(from_account_id);",

	/* 19: keyword filters (Mastodon's Filters v2; a v1 filter is one
	 * keyword of them). contexts is a bitmask, bit i for read_context
	 * i (home, notifications, public, thread, account); action 0 warn,
	 * 1 hide, 2 blur; expires_at NULL for good. A filter's keywords
	 * and statuses go with it, and a filtered status with the status. */
	"CREATE TABLE filters ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  title TEXT NOT NULL,"
	"  contexts INTEGER NOT NULL,"
	"  action INTEGER NOT NULL DEFAULT 0,"
	"  expires_at INTEGER);"
	"CREATE INDEX filters_by_account ON filters(account_id, id);"
	"CREATE TABLE filter_keywords ("
	"  id INTEGER PRIMARY KEY,"
	"  filter_id INTEGER NOT NULL REFERENCES filters(id)"
	"    ON DELETE CASCADE,"
	"  keyword TEXT NOT NULL,"
	"  whole_word INTEGER NOT NULL DEFAULT 1);"
	"CREATE INDEX filter_keywords_by_filter ON filter_keywords"
	"  (filter_id, id);"
	"CREATE TABLE filter_statuses ("
	"  id INTEGER PRIMARY KEY,"
	"  filter_id INTEGER NOT NULL REFERENCES filters(id)"
	"    ON DELETE CASCADE,"
	"  status_id INTEGER NOT NULL REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  UNIQUE (filter_id, status_id));"
	"CREATE INDEX filter_statuses_by_status ON filter_statuses"
	"  (status_id);",

	/* 20: reply controls and hidden replies (issue 12): a status's
	 * interaction policy when it is not its visibility's default
	 * (AUDIENCE_* bits), an account's defaults per visibility, and the
	 * replies a thread's author hid, with their thread path so a
	 * reply under one is found by prefix */
	"CREATE TABLE status_policies ("
	"  status_id INTEGER PRIMARY KEY REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  can_reply INTEGER NOT NULL,"
	"  can_reblog INTEGER NOT NULL);"
	"CREATE TABLE policy_defaults ("
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  visibility INTEGER NOT NULL,"
	"  can_reply INTEGER NOT NULL,"
	"  can_reblog INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, visibility));"
	"CREATE TABLE hidden_replies ("
	"  status_id INTEGER PRIMARY KEY REFERENCES statuses(id)"
	"    ON DELETE CASCADE,"
	"  thread_root_id INTEGER NOT NULL,"
	"  thread_path BLOB NOT NULL,"
	"  author_id INTEGER NOT NULL,"
	"  hidden_by INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX hidden_replies_by_thread ON hidden_replies"
	"  (thread_root_id, thread_path);"
	"CREATE INDEX hidden_replies_by_hider ON hidden_replies(hidden_by);",

	/* 21: conversations: each account's private conversations, one per
	 * thread of direct statuses it wrote or received (Mastodon's
	 * AccountConversation, but one row per thread: who joins later is
	 * added to participants, a JSON array of account ids that includes
	 * the owner). Listed and paged by last_status_id. Deleting the last
	 * status moves the conversation back to the newest direct status of
	 * the thread the owner wrote or was mentioned in, or removes it,
	 * by trigger, whatever path deleted the status. */
	"CREATE TABLE conversations ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  thread_root_id INTEGER NOT NULL,"
	"  participants TEXT NOT NULL DEFAULT '[]',"
	"  last_status_id INTEGER,"
	"  unread INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (account_id, thread_root_id));"
	"CREATE INDEX conversations_by_last ON conversations"
	"  (account_id, last_status_id);"
	"CREATE INDEX conversations_by_status ON conversations"
	"  (last_status_id);"
	"CREATE TRIGGER conversations_status_deleted AFTER DELETE ON"
	"  statuses WHEN OLD.visibility = 3 BEGIN"
	"  UPDATE conversations SET last_status_id = (SELECT max(s.id)"
	"    FROM statuses s WHERE s.thread_root_id = OLD.thread_root_id"
	"    AND s.visibility = 3 AND (s.account_id = conversations.account_id"
	"    OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id"
	"    AND m.account_id = conversations.account_id)))"
	"    WHERE last_status_id = OLD.id;"
	"  DELETE FROM conversations WHERE last_status_id IS NULL;"
	"END;",

	/* 22: who blocks a domain, for the hub's one read per event of whom
	 * a post is hidden from (store_relations_toward). And cheaper group
	 * upkeep on every favourite and boost (and their undoing), which
	 * migration 16 made twice the writes they were.
	 * The open-group lookup's index ends at the group's first hour,
	 * which never changes, so a new member no longer moves the group
	 * in it; the newest group of a post is the one that began last.
	 * A removal deletes an emptied group first, and otherwise reads the
	 * newest remaining member once and the oldest only when the oldest
	 * went. */
	"CREATE INDEX domain_blocks_by_domain ON domain_blocks(domain);"
	"DROP INDEX notification_groups_open;"
	"CREATE INDEX notification_groups_open ON notification_groups"
	"  (account_id, type, status_id, bucket);"
	"DROP TRIGGER notification_groups_remove;"
	"CREATE TRIGGER notification_groups_remove AFTER DELETE ON"
	"  notifications BEGIN"
	"  DELETE FROM notification_groups WHERE account_id = OLD.account_id"
	"    AND group_key = OLD.group_key AND notifications_count <= 1;"
	"  UPDATE notification_groups SET"
	"    notifications_count = notifications_count - 1,"
	"    (latest_id, latest_at) = (SELECT id, created_at"
	"      FROM notifications WHERE account_id = OLD.account_id"
	"      AND group_key = OLD.group_key ORDER BY id DESC LIMIT 1),"
	"    oldest_id = CASE WHEN OLD.id = oldest_id THEN (SELECT min(id)"
	"      FROM notifications WHERE account_id = OLD.account_id"
	"      AND group_key = OLD.group_key) ELSE oldest_id END"
	"    WHERE account_id = OLD.account_id AND group_key = OLD.group_key;"
	"END;",

	/* 23: a group lives on its newest notification (its head) instead
	 * of in a table of its own. Migration 16's notification_groups put
	 * a row and two index entries beside every favourite's and boost's
	 * notification, and took them away on the undo: with the
	 * notification's own four that was half again the pages each act
	 * wrote, and 0.8x the acts per second (BENCHMARKS.md). Now the head
	 * carries the group's size and oldest id (NULL on every other
	 * member), one partial index lists the heads, and a post's open
	 * group is found by a range over notifications_by_group: its keys,
	 * type-status-hour, sort by the hour the group began (six digits
	 * from 1981 to 2084; PostgreSQL must compare group_key bytewise,
	 * COLLATE "C"). The triggers keep the head the group's newest
	 * member, however a row comes or goes. */
	"ALTER TABLE notifications ADD COLUMN group_size INTEGER;"
	"ALTER TABLE notifications ADD COLUMN group_oldest_id INTEGER;"
	"UPDATE notifications SET group_size = g.notifications_count,"
	"  group_oldest_id = g.oldest_id FROM notification_groups g"
	"  WHERE g.account_id = notifications.account_id"
	"  AND g.group_key = notifications.group_key"
	"  AND g.latest_id = notifications.id;"
	"DROP TRIGGER notification_groups_add;"
	"DROP TRIGGER notification_groups_remove;"
	"DROP TRIGGER notification_groups_move;"
	"DROP TABLE notification_groups;"
	"CREATE INDEX notifications_heads ON notifications(account_id, id)"
	"  WHERE group_size IS NOT NULL;"
	/* the new row is the head unless it arrived late (an accepted
	 * request keeps its id); the head before it is counted in */
	"CREATE TRIGGER notification_heads_add AFTER INSERT ON notifications"
	"  BEGIN"
	"  UPDATE notifications SET (group_size, group_oldest_id) ="
	"    (SELECT coalesce(max(p.group_size), 0) + 1,"
	"    min(coalesce(max(p.group_oldest_id), NEW.id), NEW.id)"
	"    FROM notifications p WHERE p.id = (SELECT max(id)"
	"    FROM notifications WHERE account_id = NEW.account_id"
	"    AND group_key = NEW.group_key AND id <> NEW.id))"
	"    WHERE id = (SELECT max(id) FROM notifications"
	"    WHERE account_id = NEW.account_id"
	"    AND group_key = NEW.group_key);"
	"  UPDATE notifications SET group_size = NULL, group_oldest_id = NULL"
	"    WHERE id = (SELECT max(id) FROM notifications"
	"    WHERE account_id = NEW.account_id AND group_key = NEW.group_key"
	"    AND id < NEW.id) AND group_size IS NOT NULL;"
	"END;"
	/* the newest remaining member is (or stays) the head */
	"CREATE TRIGGER notification_heads_remove AFTER DELETE ON"
	"  notifications BEGIN"
	"  UPDATE notifications SET"
	"    group_size = coalesce(OLD.group_size, group_size) - 1,"
	"    group_oldest_id = CASE WHEN OLD.group_size IS NOT NULL"
	"      THEN OLD.group_oldest_id"
	"      WHEN OLD.id = group_oldest_id THEN (SELECT min(id)"
	"      FROM notifications WHERE account_id = OLD.account_id"
	"      AND group_key = OLD.group_key)"
	"      ELSE group_oldest_id END"
	"    WHERE id = (SELECT max(id) FROM notifications"
	"    WHERE account_id = OLD.account_id"
	"    AND group_key = OLD.group_key);"
	"END;"
	/* only an edit's notification moves to a new id, and it is a group
	 * of its own (store_notification_insert) */
	"CREATE TRIGGER notification_heads_move AFTER UPDATE OF id ON"
	"  notifications WHEN OLD.group_oldest_id = OLD.id BEGIN"
	"  UPDATE notifications SET group_oldest_id = NEW.id"
	"    WHERE id = NEW.id;"
	"END;",
	/* 24: federation's keys (issue 14). Each account signs what it
	 * sends with an RSA key of its own, and the instance actor with
	 * the instance's. A pair is made the first time it is needed
	 * (fed/keys.c says why not at sign-up), so one row per actor, and
	 * the primary key is what makes two first uses agree. */
	ACCOUNT_KEYS_SQL("INTEGER", "TEXT"),
	/* 25: other servers' actors and what passes between us. An actor
	 * is an account with a domain (its name, bio and counts where the
	 * API reads them) and a row here: its id, inbox and key. A received
	 * activity is kept, verified, until a job has processed it, and its
	 * id for a while after, so a replayed delivery is processed once;
	 * a delivery is kept until the inbox took it. A remote actor's
	 * follow request keeps its Follow's id, for the Accept. */
	ACTORS_SQL("INTEGER", "TEXT"),
	/* 26: other servers' posts and what we owe our followers there. A
	 * remote post is a status (so every read path has it) and a row
	 * here with its id, unique: the same Note delivered twice (to a
	 * shared inbox and a personal one) is stored once. A fan-out is
	 * an activity for an author's remote followers, turned into one
	 * delivery per inbox by a job, so the post that made it does not
	 * wait for its followers to be counted. */
	REMOTE_POSTS_SQL("INTEGER", "TEXT"),
	/* 27: which process runs a job. On PostgreSQL several processes
	 * share the table, and one that dies leaves its jobs running: a
	 * job whose process's node lock is free is known to be orphaned,
	 * whatever else is still alive. */
	JOB_NODE_SQL("INTEGER"),
	/* 28: other servers the instance blocks (chorus domain block): a
	 * host and what is done to its traffic, by severity (1 silence, 2
	 * suspend); a block covers the host's subdomains too. */
	INSTANCE_BLOCKS_SQL("INTEGER", "TEXT"),
	/* 29: servers whose deliveries fail, since when, and when one
	 * delivery may next try (a probe): a server failing for long is
	 * tried rarely, and its other deliveries wait for a probe to get
	 * through. A delivery's host finds them. */
	FAILING_SERVERS_SQL("INTEGER", "TEXT"),
	/* 30: the account another server's actor moved to (Move), shown
	 * as its "moved"; no reference, so either may go first. */
	ACTOR_MOVED_SQL("INTEGER"),
	/* 31: where another server's actor's avatar and header came from,
	 * so an image is fetched again only when it changed. */
	ACTOR_IMAGES_SQL("TEXT"),
	/* 32: the lane's workers claim its kind's due jobs, the others any
	 * other kind's: with one index for both, a claim under the write
	 * lock walked every due job of the other kind (70 000 deliveries
	 * owed: 8.5 ms a claim). A partial index each. */
	JOBS_BY_LANE_SQL,
	/* 33: whether a follower is this server's, so a post's home
	 * audience reads only the followers who have a home here (an
	 * author with 10 000 followers elsewhere read them all, under the
	 * write lock, for no feed), and its fan-out elsewhere only the
	 * others (an author with 10 000 followers here read them all to
	 * learn no other server follows). One index for both, covering: a
	 * partial one (WHERE local_follower = 1) left SQLite reading each
	 * row to test the column again, 3x slower per follower. */
	FOLLOWS_LOCAL_SQL,
	/* 34: a fan-out's activity kept once, its deliveries pointing at
	 * it (an empty body of their own): a post to 1 000 servers wrote
	 * its body 1 000 times, 2 MB under the write lock. The last
	 * delivery done takes it along. */
	DELIVERY_BODIES_SQL("INTEGER", "TEXT"),
	/* 35: where another server's attachment was fetched from, so an
	 * edit of its post that keeps it is not fetched again */
	MEDIA_REMOTE_URL_SQL("TEXT"),
	/* 36: reports to the moderators, and the statuses each names */
	REPORTS_SQL("INTEGER", "TEXT"),
	/* 37: suspensions, silences, disabled sign-ins, the audit log */
	ACCOUNT_MODERATION_SQL("INTEGER", "TEXT"),
};

enum { SCHEMA_VERSION = sizeof migrations / sizeof migrations[0] };

static int current_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

int db_schema_usable(sqlite3 *conn, const char *path)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(conn, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		log_error("%s is not a SQLite database", path);
		return -1;
	}
	if (v < 0) {
		log_error("cannot read %s: %s", path, sqlite3_errstr(rc));
		return -1;
	}
	/* an older chorus would run its code over tables it does not know
	 * (or that changed meaning): refuse before anything starts */
	if (v > SCHEMA_VERSION) {
		log_error("database schema %d is newer than this chorus (%d): "
			  "upgrade chorus",
			  v, SCHEMA_VERSION);
		return -1;
	}
	return v;
}

static int migrate(sqlite3 *db, const char *path)
{
	int v = db_schema_usable(db, path);
	if (v < 0)
		return -1;
	for (; v < SCHEMA_VERSION; v++) {
		char *err = NULL;
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;",
			 v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) ||
		    sqlite3_exec(db, migrations[v], NULL, NULL, &err) ||
		    sqlite3_exec(db, pragma, NULL, NULL, &err) ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &err)) {
			log_error("migration %d failed: %s", v + 1,
				  err ? err : "?");
			sqlite3_free(err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("database migrated to schema %d", v + 1);
	}
	return 0;
}

/* PostgreSQL's migrations after its baseline (schema_pg.c, which is
 * SQLite's schema at SCHEMA_PG_BASELINE): [n] takes the schema from
 * SCHEMA_PG_BASELINE + n to the next version, numbered as SQLite's. */
static const char *const pg_migrations[] = {
	ACCOUNT_KEYS_SQL("bigint", "text COLLATE \"C\""),	/* 24 */
	ACTORS_SQL("bigint", "text COLLATE \"C\""),		/* 25 */
	REMOTE_POSTS_SQL("bigint", "text COLLATE \"C\""),	/* 26 */
	JOB_NODE_SQL("bigint"),					/* 27 */
	INSTANCE_BLOCKS_SQL("bigint", "text COLLATE \"C\""),	/* 28 */
	FAILING_SERVERS_SQL("bigint", "text COLLATE \"C\""),	/* 29 */
	ACTOR_MOVED_SQL("bigint"),				/* 30 */
	ACTOR_IMAGES_SQL("text COLLATE \"C\""),			/* 31 */
	JOBS_BY_LANE_SQL,					/* 32 */
	FOLLOWS_LOCAL_SQL,					/* 33 */
	DELIVERY_BODIES_SQL("bigint", "text COLLATE \"C\""),	/* 34 */
	MEDIA_REMOTE_URL_SQL("text COLLATE \"C\""),		/* 35 */
	REPORTS_SQL("bigint", "text COLLATE \"C\""),		/* 36 */
	ACCOUNT_MODERATION_SQL("bigint", "text COLLATE \"C\""), /* 37 */
	NULL,							/* the end */
};
enum { PG_MIGRATIONS = sizeof pg_migrations / sizeof pg_migrations[0] - 1 };
_Static_assert(SCHEMA_PG_BASELINE + PG_MIGRATIONS == SCHEMA_VERSION,
	       "every migration has its PostgreSQL script");

const char *store_pg_migration_sql(int version)
{
	return version > SCHEMA_PG_BASELINE && version <= SCHEMA_VERSION
		       ? pg_migrations[version - 1 - SCHEMA_PG_BASELINE]
		       : NULL;
}

/* Bring an empty or older PostgreSQL database to SCHEMA_VERSION, under
 * the write lock so one process does it while the others wait. */
static int migrate_pg(void)
{
	if (pg_simple("BEGIN; SELECT pg_advisory_xact_lock(" DB_PG_WRITE_LOCK
		      ")") < 0)
		return -1;
	int64_t v = pg_simple_int64("SELECT CASE WHEN to_regclass("
				    "'schema_version') IS NULL THEN -1"
				    " ELSE 0 END",
				    -2);
	if (v == -1) {
		/* chorus's schema goes only into an empty database */
		if (pg_simple_int64("SELECT count(*) FROM pg_tables"
				    " WHERE schemaname = current_schema()",
				    -1) != 0) {
			log_error("the database has tables but not chorus's:"
				  " give chorus an empty database");
			goto fail;
		}
		if (pg_simple(schema_pg_baseline) < 0 ||
		    pg_simple(schema_pg_seed) < 0)
			goto fail;
		v = SCHEMA_PG_BASELINE;
		log_info("database schema %d created", SCHEMA_PG_BASELINE);
	} else if (v == 0) {
		v = pg_simple_int64("SELECT max(version) FROM schema_version",
				    -1);
	}
	if (v < 0) {
		log_error("cannot read the database's schema version: %s",
			  db_errmsg());
		goto fail;
	}
	if (v > SCHEMA_VERSION) {
		log_error("database schema %d is newer than this chorus (%d): "
			  "upgrade chorus",
			  (int)v, SCHEMA_VERSION);
		goto fail;
	}
	for (; v < SCHEMA_VERSION; v++) {
		char bump[96];
		snprintf(bump, sizeof bump,
			 "UPDATE schema_version SET version = %d", (int)v + 1);
		if (pg_simple(store_pg_migration_sql((int)v + 1)) < 0 ||
		    pg_simple(bump) < 0)
			goto fail;
		log_info("database migrated to schema %d", (int)v + 1);
	}
	return pg_simple("COMMIT");
fail:
	pg_simple("ROLLBACK");
	return -1;
}

static int store_open_pg(const char *url)
{
	char why[512];
	if (pg_probe(url, why, sizeof why) < 0) {
		log_error("cannot connect to the database: %s", why);
		return -1;
	}
	db_pg = true;
	if (migrate_pg() < 0)
		return -1;
	int node = pg_claim_node(1 << ID_NODE_BITS);
	if (node < 0)
		return -1;
	id_set_node((unsigned)node);
	log_info("PostgreSQL database, schema %d; this process is node %d",
		 SCHEMA_VERSION, node);
	return 0;
}

int store_open(const char *data_dir)
{
	/* the data directory holds the media on either backend */
	if (mkdir(data_dir, 0750) < 0 && access(data_dir, W_OK) < 0) {
		log_error("cannot create data directory %s", data_dir);
		return -1;
	}
	if (cfg.database_url && cfg.database_url[0])
		return store_open_pg(cfg.database_url);
	/* Each connection belongs to one thread, so SQLite's own locking
	 * can go: MULTITHREAD drops the per-connection mutexes, and with
	 * MEMSTATUS off its allocator stops taking a global mutex on every
	 * malloc, which the profile showed workers queueing on. Must run
	 * before the first connection opens. */
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	char path[4096];
	snprintf(path, sizeof path, "%s/chorus.db", data_dir);
	/* db_conn aborts when it cannot open (every later open is expected
	 * to succeed): find out here, with a message, if this one cannot */
	sqlite3 *probe = NULL;
	int rc = sqlite3_open_v2(
		path, &probe, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	sqlite3_close(probe);
	if (rc != SQLITE_OK) {
		log_error("cannot open %s: %s", path, sqlite3_errstr(rc));
		return -1;
	}
	db_set_path(path);
	return migrate(db_conn(), path);
}

int store_limit_set(const char *name, int64_t value)
{
	db_stmt *st = db_prepare("INSERT INTO limits (name, value)"
				 " VALUES (?1, ?2) ON CONFLICT (name)"
				 " DO UPDATE SET value = excluded.value");
	db_bind_text(st, 1, name);
	db_bind_int64(st, 2, value);
	return db_done(st) < 0 ? -1 : 0;
}

const char *store_migration_sql(int version)
{
	return version >= 1 && version <= SCHEMA_VERSION
		       ? migrations[version - 1]
		       : NULL;
}

int store_schema_latest(void)
{
	return SCHEMA_VERSION;
}

int store_schema_version(void)
{
	if (db_pg)
		return (int)pg_simple_int64(
			"SELECT max(version) FROM schema_version", -1);
	return current_version(db_conn());
}
