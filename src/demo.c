/* demo.c — the demo instance `chorus demo` seeds once: a movement's
 * opening post, a thread of replies, boosts and favourites. */
#include "core/config.h"
#include "domain/domain.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

int demo_seed(void);

static const char demo_password[] = "chorus-demo";

static int64_t demo_user(arena *a, const char *name, principal *p)
{
	registration reg = {
		.username = name,
		.email = arena_printf(a, "%s@demo.invalid", name),
		.password = demo_password,
		.role = strcmp(name, "ana") ? "user" : "owner",
	};
	const char *f, *code, *msg;
	int64_t id = 0;
	if (account_register(a, &reg, &id, &f, &code, &msg))
		return 0;
	memset(p, 0, sizeof *p);
	p->account_id = id;
	p->scopes = "read write follow";
	return id;
}

static int64_t demo_post(arena *a, const principal *p, const char *text,
			 int64_t reply_to)
{
	post_request r = {
		.text = text, .vis = VIS_PUBLIC, .in_reply_to_id = reply_to};
	status s;
	const char *msg;
	return status_post(a, p, &r, &s, &msg) ? 0 : s.id;
}

int demo_seed(void)
{
	if (store_count_local_users() > 0)
		return 0; /* seeded before: keep what people wrote since */
	arena a;
	arena_init(&a);
	principal ana, ben, cleo, dev, eli, fay;
	if (!demo_user(&a, "ana", &ana) || !demo_user(&a, "ben", &ben) ||
	    !demo_user(&a, "cleo", &cleo) || !demo_user(&a, "dev", &dev) ||
	    !demo_user(&a, "eli", &eli) || !demo_user(&a, "fay", &fay)) {
		arena_release(&a);
		return -1;
	}
	int64_t open = demo_post(
		&a, &ana,
		"If you have been harassed or assaulted, reply to this post "
		"with #MeToo and your story, in as few or as many words as "
		"you need. You are not alone, and you will be heard.",
		0);
	int64_t r1 = demo_post(&a, &ben,
			       "@ana #MeToo. It took me eleven years to say "
			       "it out loud. Saying it here is the first time.",
			       open);
	demo_post(&a, &cleo,
		  "@ben thank you for saying it. Eleven years is a long time "
		  "to carry something alone.",
		  r1);
	int64_t r2 = demo_post(&a, &cleo,
			       "@ana #MeToo, at my first job. I was nineteen.",
			       open);
	demo_post(&a, &dev,
		  "@cleo @ana I believe you. Reading this thread, I see how "
		  "many of us there are. #MeToo",
		  r2);
	/* six voices under the tag today: enough for it to trend */
	demo_post(&a, &eli,
		  "@ana #MeToo. I never told anyone. I am telling you.", open);
	demo_post(&a, &fay,
		  "@ana #MeToo. For everyone still silent: we believe you.",
		  open);
	int64_t ids[] = {open, r1, r2};
	principal *people[] = {&ben, &cleo, &dev};
	for (size_t i = 0; i < 3; i++) {
		int64_t boost;
		const char *msg;
		for (size_t k = 0; k < 3; k++)
			status_favourite(&a, people[k], ids[i], true);
		status_reblog(&a, people[i], open, VIS_PUBLIC, &boost, &msg);
		account_follow(&a, people[i], ana.account_id, true, false);
	}
	arena_release(&a);
	printf("\nchorus demo: %s\n  sign in as ana@demo.invalid "
	       "(or ben, cleo, dev, eli, fay) with password %s\n\n",
	       cfg.base_url, demo_password);
	fflush(stdout);
	return 0;
}
