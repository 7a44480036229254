/* sniff.c — decide what an upload is from its bytes, with libmagic.
 *
 * The allow-list maps every MIME type libmagic may report for a format we
 * accept onto one canonical type and extension, so the rest of the server
 * never sees aliases such as audio/x-wav. A libmagic handle is not safe to
 * share between threads, and loading the compiled database is cheap (it is
 * mapped, not parsed), so every call opens and closes its own. */
#include "media/media.h"

#include "core/log.h"

#include <fcntl.h>
#include <magic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

typedef struct sniff_rule {
	const char *magic_mime; /* as libmagic reports it */
	media_type type;
	const char *mime; /* canonical */
	const char *ext;
} sniff_rule;

static const sniff_rule sniff_rules[] = {
	{"image/jpeg", MEDIA_TYPE_IMAGE, "image/jpeg", "jpg"},
	{"image/png", MEDIA_TYPE_IMAGE, "image/png", "png"},
	{"image/webp", MEDIA_TYPE_IMAGE, "image/webp", "webp"},
	{"image/gif", MEDIA_TYPE_IMAGE, "image/gif", "gif"},
	{"image/heic", MEDIA_TYPE_IMAGE, "image/heic", "heic"},
	{"image/heif", MEDIA_TYPE_IMAGE, "image/heic", "heic"},
	{"video/mp4", MEDIA_TYPE_VIDEO, "video/mp4", "mp4"},
	{"video/webm", MEDIA_TYPE_VIDEO, "video/webm", "webm"},
	{"video/quicktime", MEDIA_TYPE_VIDEO, "video/quicktime", "mov"},
	{"audio/mpeg", MEDIA_TYPE_AUDIO, "audio/mpeg", "mp3"},
	{"audio/ogg", MEDIA_TYPE_AUDIO, "audio/ogg", "ogg"},
	{"audio/x-wav", MEDIA_TYPE_AUDIO, "audio/wav", "wav"},
	{"audio/wav", MEDIA_TYPE_AUDIO, "audio/wav", "wav"},
	{"audio/flac", MEDIA_TYPE_AUDIO, "audio/flac", "flac"},
	{"audio/x-flac", MEDIA_TYPE_AUDIO, "audio/flac", "flac"},
	{"audio/x-m4a", MEDIA_TYPE_AUDIO, "audio/mp4", "m4a"},
	{"audio/mp4", MEDIA_TYPE_AUDIO, "audio/mp4", "m4a"},
};

/* Only the checks that can name an allowed format: no decompressing, no
 * looking inside archives or ELF, no text-encoding guesses. */
static const int SNIFF_FLAGS = MAGIC_MIME_TYPE | MAGIC_ERROR |
			       MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
			       MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_CDF |
			       MAGIC_NO_CHECK_ENCODING;

static const sniff_rule *sniff_lookup(const char *magic_mime)
{
	for (size_t i = 0; i < sizeof sniff_rules / sizeof *sniff_rules; i++)
		if (strcmp(sniff_rules[i].magic_mime, magic_mime) == 0)
			return &sniff_rules[i];
	return NULL;
}

/* The rule for the content of fd, or NULL; logs libmagic's own failures. */
static const sniff_rule *sniff_fd(int fd)
{
	magic_t magic = magic_open(SNIFF_FLAGS);
	if (!magic) {
		log_error("media: magic_open failed");
		return NULL;
	}
	const sniff_rule *rule = NULL;
	if (magic_load(magic, NULL) != 0) {
		log_error("media: magic_load: %s", magic_error(magic));
	} else {
		const char *mime = magic_descriptor(magic, fd);
		if (mime)
			rule = sniff_lookup(mime);
	}
	magic_close(magic);
	return rule;
}

bool media_sniff(const char *path, media_sniffed *out)
{
	/* O_NONBLOCK: a FIFO planted at path must not hang the worker. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	const sniff_rule *rule = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		rule = sniff_fd(fd);
	close(fd);
	if (!rule)
		return false;
	/* HEIF decoding is an optional libvips module. */
	if (strcmp(rule->mime, "image/heic") == 0 &&
	    !vips_type_find("VipsOperation", "heifload"))
		return false;
	out->type = rule->type;
	out->mime = rule->mime;
	out->ext = rule->ext;
	return true;
}
