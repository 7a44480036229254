/* conversations.c — private conversations: who a direct status reaches,
 * and what of a conversation its owner is shown. The rules are the ones
 * of visibility.c, read in the notifications' context; none is copied
 * here. */
#include "core/log.h"
#include "domain/domain.h"
#include "store/store.h"

#include <string.h>

enum {
	/* batches of hidden conversations read to fill one page */
	REFILL_ROUNDS = 4,
};

bool conversation_reaches(arena *a, int64_t recipient, const status *s)
{
	if (recipient == s->account_id)
		return true;
	/* the mention's own fate: blocks, mutes, a muted thread, the
	 * policy (an unsolicited private mention is filtered by default;
	 * accepting the sender's notification request adds the filtered
	 * ones, store_conversations_add_held, as Mastodon's
	 * UnfilterNotificationsWorker) */
	return visibility_notification_fate(a, recipient, s->account_id,
					    "mention", s->id) == NOTE_DELIVER;
}

void conversations_record(arena *a, const status *s, const int64_t *mentions,
			  size_t n)
{
	if (s->vis != VIS_DIRECT || s->reblog_of_id)
		return;
	int64_t *participants = arena_alloc(a, (n + 1) * sizeof *participants);
	int64_t *recipients = arena_alloc(a, (n + 1) * sizeof *recipients);
	size_t np = 0, nr = 0;
	participants[np++] = s->account_id;
	recipients[nr++] = s->account_id;
	for (size_t i = 0; i < n; i++) {
		if (mentions[i] == s->account_id)
			continue;
		participants[np++] = mentions[i];
		if (conversation_reaches(a, mentions[i], s))
			recipients[nr++] = mentions[i];
	}
	if (store_conversations_add(s->id, s->account_id, participants, np,
				    recipients, nr) < 0)
		log_error("could not record direct status %lld in its "
			  "conversations",
			  (long long)s->id);
}

bool conversation_view_load(arena *a, int64_t viewer,
			    const store_conversation *row,
			    conversation_view *out)
{
	memset(out, 0, sizeof *out);
	out->row = *row;
	status *s = arena_alloc(a, sizeof *s);
	if (!row->last_status_id ||
	    !status_load_listed(a, viewer, row->last_status_id,
				READ_NOTIFICATIONS, s))
		return false;
	out->last_status = s;
	out->accounts = arena_alloc(a, (row->nparticipants + 1) *
					       sizeof *out->accounts);
	size_t others = 0;
	for (size_t i = 0; i < row->nparticipants; i++) {
		int64_t id = row->participants[i];
		if (id == viewer)
			continue;
		others++;
		if (visibility_account_listed(a, viewer, id,
					      READ_NOTIFICATIONS) &&
		    store_account_get(a, id, &out->accounts[out->naccounts]))
			out->naccounts++;
	}
	/* a conversation with only people the viewer hides is hidden; one
	 * with nobody else (a note to oneself) is not */
	return !others || out->naccounts;
}

size_t conversations_page(arena *a, int64_t viewer, const page *p,
			  conversation_view *out, int64_t *next_max_id,
			  int64_t *prev_min_id)
{
	*next_max_id = *prev_min_id = 0;
	page q = *p;
	store_conversation *rows =
		arena_alloc(a, (size_t)p->limit * sizeof *rows);
	size_t shown = 0;
	for (int round = 0; round < REFILL_ROUNDS; round++) {
		size_t n = store_conversations_page(a, viewer, &q, rows);
		if (n == 0)
			break;
		if (!*prev_min_id)
			*prev_min_id = rows[0].last_status_id;
		/* the next page starts after the last row looked at */
		for (size_t i = 0; i < n && shown < (size_t)p->limit; i++) {
			*next_max_id = rows[i].last_status_id;
			if (conversation_view_load(a, viewer, &rows[i],
						   &out[shown]))
				shown++;
		}
		/* full, or nothing further down; a page read upward (min_id)
		 * is not refilled: it may come short, its Link is right */
		if (shown == (size_t)p->limit || n < (size_t)q.limit ||
		    p->min_id)
			break;
		q.max_id = *next_max_id;
		q.since_id = p->since_id;
		q.limit = p->limit - (int)shown;
	}
	return shown;
}
