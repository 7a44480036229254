/* spec.c — which streams exist and who may open them (Mastodon's
 * streaming server rules). */
#include "stream/stream.h"

#include "core/id.h"
#include "domain/domain.h"
#include "text/text.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[STREAM_KINDS] = {
	[STREAM_USER] = "user",
	[STREAM_USER_NOTIFICATION] = "user:notification",
	[STREAM_PUBLIC] = "public",
	[STREAM_PUBLIC_MEDIA] = "public:media",
	[STREAM_PUBLIC_LOCAL] = "public:local",
	[STREAM_PUBLIC_LOCAL_MEDIA] = "public:local:media",
	[STREAM_PUBLIC_REMOTE] = "public:remote",
	[STREAM_PUBLIC_REMOTE_MEDIA] = "public:remote:media",
	[STREAM_HASHTAG] = "hashtag",
	[STREAM_HASHTAG_LOCAL] = "hashtag:local",
	[STREAM_LIST] = "list",
	[STREAM_DIRECT] = "direct",
	[STREAM_THREAD] = "thread",
};

const char *stream_kind_name(stream_kind k)
{
	return kind_names[k];
}

static bool needs_account(stream_kind k)
{
	return k == STREAM_USER || k == STREAM_USER_NOTIFICATION ||
	       k == STREAM_LIST || k == STREAM_DIRECT;
}

/* The thread of the post id names, if account may see that post: its
 * root's id into out->key. */
static const char *thread_spec(arena *a, const char *id, int64_t account,
			       stream_spec *out, int *status)
{
	int64_t sid, root = 0;
	size_t len;
	struct status post;
	if (!id || !id_parse(id, &sid))
		return "No post for stream provided";
	if (!status_load_visible(a, account, sid, &post)) {
		*status = 404;
		return "Record not found";
	}
	if (!store_thread_path(a, post.id, &root, &len) || !root)
		root = post.id;
	out->key = arena_printf(a, "%lld", (long long)root);
	return NULL;
}

const char *stream_spec_parse(arena *a, const char *name, const char *tag,
			      const char *list, const char *id, int64_t account,
			      const char *scopes, stream_spec *out, int *status)
{
	memset(out, 0, sizeof *out);
	*status = 400;
	int k = 0;
	while (k < STREAM_KINDS && (!name || strcmp(name, kind_names[k])))
		k++;
	if (k == STREAM_KINDS)
		return "Unknown stream type";
	out->kind = (stream_kind)k;
	if (needs_account(out->kind) && !account) {
		*status = 401;
		return "Missing access token";
	}
	const char *need = out->kind == STREAM_USER_NOTIFICATION
				   ? "read:notifications"
				   : "read:statuses";
	if (scopes && !auth_scope_allows(scopes, need)) {
		*status = 403;
		return "Access token does not have the required scopes";
	}
	if (out->kind == STREAM_HASHTAG || out->kind == STREAM_HASHTAG_LOCAL) {
		if (!tag || !*tag)
			return "No tag for stream provided";
		const char *t = tag[0] == '#' ? tag + 1 : tag;
		out->key = text_tag_key(a, t, strlen(t));
		if (!out->key || !*out->key)
			return "No tag for stream provided";
		out->tag = arena_strdup(a, tag);
	}
	if (out->kind == STREAM_THREAD)
		return thread_spec(a, id, account, out, status);
	if (out->kind == STREAM_LIST) {
		char *end = NULL;
		long long id = list ? strtoll(list, &end, 10) : 0;
		if (!list || !*list || *end || id <= 0)
			return "No list for stream provided";
		/* lists are a later feature: no list is anyone's yet */
		*status = 401;
		return "Not authorized to stream this list";
	}
	return NULL;
}
