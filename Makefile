# chorus — build, test, sanitizers.
#   make            build build/chorus
#   make test       unit tests + API tests (the README's test command runs this)
#   make asan       build build-asan/chorus with ASan + UBSan
#   make unit       build and run the cmocka unit tests only
#   make pot        re-extract po/chorus.pot from the sources, merge it into po/*.po
#   make fuzz       build the libFuzzer targets (tests/fuzz/) with clang, ASan
#                   and UBSan in build-fuzz/, run each FUZZ_SECONDS (60) from
#                   its seed corpus (tests/fuzz/corpus/NAME); a crash, leak or
#                   failed invariant fails make and leaves build-fuzz/crash-*

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libpq libsodium libutf8proc inih vips libmagic libcrypto libcurl libxml-2.0 zlib
OPT     ?= -O2 -g
SANITIZE ?=
# after the warnings, so it can turn one off (the fuzz build's clang)
WARN_EXTRA ?=
CFLAGS  := $(OPT) $(SANITIZE) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
           $(WARN_EXTRA) -Isrc $(shell pkg-config --cflags $(PKGS))
LDFLAGS := $(SANITIZE)
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

BUILD   ?= build
SRCS    := $(shell find src -name '*.c' | sort)
# the web pages' stylesheet and script, linked in as data (web/assets.c)
ASSETS  := src/web/assets/chorus.css src/web/assets/chorus.js \
	   src/web/assets/icon.svg
OBJS    := $(SRCS:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/web/assets-data.o
LIBOBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
UNIT    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# The web pages' translations: po/<lang>.po compiled to the catalogue
# src/web/i18n.c binds, $(BUILD)/locale beside the binary
LANGS   := $(patsubst po/%.po,%,$(wildcard po/*.po))
MOS     := $(LANGS:%=$(BUILD)/locale/%/LC_MESSAGES/chorus.mo)
# Every file that marks a string for translation (_, N_, web_tr, web_trn);
# MARK is a variable because a lone "(" inside $(shell) would end it
MARK    := (^|[^A-Za-z0-9_])(_|N_|web_trn?)[(]
POTSRCS  = $(shell grep -lE '$(MARK)' $(SRCS))
XGETTEXT := xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
	--keyword=web_tr --keyword=web_trn:1,2 --add-comments=TRANSLATORS: \
	--package-name=chorus --copyright-holder="the chorus authors"

.PHONY: all test unit unit-pg api asan asan-unit asan-unit-pg clean format format-check pot pot-extract \
	fuzz fuzz-build fuzz-run

all: $(BUILD)/chorus $(MOS)

$(BUILD)/chorus: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/web/assets-data.o: $(ASSETS)
	@mkdir -p $(dir $@)
	cd src/web/assets && ld -r -b binary -z noexecstack \
		-o $(abspath $@) $(notdir $(ASSETS))

# -MMD: a test is rebuilt when a header it includes changes (a stale test
# binary would pass against code it no longer matches)
$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS) -lcmocka

# --check: a translation whose %-conversions differ from the msgid's (a
# crash in printf) or whose plural forms are wrong fails the build
$(BUILD)/locale/%/LC_MESSAGES/chorus.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

# POT: where pot-extract writes (the catalogue test extracts to a temporary
# file with it, so the keyword list lives here only)
POT     ?= po/chorus.pot
pot-extract:
	$(XGETTEXT) --force-po -o $(POT) $(or $(POTSRCS),/dev/null)

pot: pot-extract
	for po in po/*.po; do msgmerge --quiet --update --backup=none $$po $(POT) || exit 1; done

unit: $(UNIT)
	@failed=0; for t in $(UNIT); do echo "== $$t"; $$t || failed=1; done; \
	exit $$failed

# the unit tests on the store (store_fixture.h), on PostgreSQL: needs the
# cluster of scripts/pg.sh in CHORUS_TEST_PG_HOST/PORT
STORE_UNIT := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(shell grep -l store_fixture.h tests/unit/test_*.c))
unit-pg: $(STORE_UNIT)
	@failed=0; for t in $(STORE_UNIT); do echo "== $$t (postgresql)"; \
	CHORUS_TEST_BACKEND=postgresql $$t || failed=1; done; exit $$failed

api: $(BUILD)/chorus $(MOS)
	CHORUS_BIN=$(abspath $(BUILD)/chorus) python3 -m pytest -q tests/api

test:
	scripts/test.sh

ASAN_VARS := BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

asan:
	$(MAKE) $(ASAN_VARS)

asan-unit:
	$(MAKE) $(ASAN_VARS) unit

asan-unit-pg:
	$(MAKE) $(ASAN_VARS) unit-pg

# ---- fuzzing (tests/fuzz/README.md) ----
# The chorus objects are built by clang with the fuzzer's coverage hooks
# (fuzzer-no-link) into build-fuzz/; each tests/fuzz/fuzz_NAME.c links
# them with libFuzzer's main. A run works on build-fuzz/corpus/NAME, the
# seeds copied in first (what it finds there is kept for the next run),
# and stops after FUZZ_SECONDS; libFuzzer exits non-zero on a crash, a
# leak, a sanitizer report or a timeout, which fails make. clang warns of
# a positional initialiser left short (gcc does not): that warning is off.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_VARS    := CC=clang BUILD=build-fuzz \
	OPT="-O1 -g -fno-omit-frame-pointer" WARN_EXTRA=-Wno-missing-field-initializers \
	SANITIZE="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"

fuzz:
	$(MAKE) $(FUZZ_VARS) fuzz-build
	$(MAKE) fuzz-run

# one run per target, in parallel under make -j
fuzz-run: $(FUZZ_NAMES:%=fuzz-run-%)

fuzz-run-%:
	@mkdir -p build-fuzz/corpus/$*
	@cp -n tests/fuzz/corpus/$*/* build-fuzz/corpus/$*/
	@log=build-fuzz/fuzz_$*.log; \
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	   build-fuzz/fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
		-timeout=10 -print_final_stats=1 $(FUZZ_FLAGS) \
		-artifact_prefix=build-fuzz/crash-$*- \
		build-fuzz/corpus/$* >$$log 2>&1; then \
		echo "fuzz_$*: ok, $$(sed -n \
		 's/^stat::number_of_executed_units: *//p' $$log) runs," \
		 "$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log)" \
		 "exec/s, $$(ls build-fuzz/corpus/$* | wc -l) inputs"; \
	else \
		tail -n 40 $$log; \
		echo "fuzz_$*: FAILED (log $$log, input build-fuzz/crash-$*-*)"; \
		exit 1; \
	fi

fuzz-build: $(FUZZ_BINS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MP $(LDFLAGS) -o $@ \
		$(filter %.c %.o,$^) $(LDLIBS)

format:
	clang-format -i $(SRCS) $(wildcard src/*/*.h) $(wildcard tests/unit/*.[ch]) \
		$(wildcard tests/fuzz/*.[ch])

format-check:
	clang-format --dry-run --Werror $(SRCS) $(wildcard src/*/*.h) $(wildcard tests/unit/*.[ch]) \
		$(wildcard tests/fuzz/*.[ch])

clean:
	rm -rf build build-asan build-fuzz

-include $(OBJS:.o=.d) $(UNIT:=.d) $(FUZZ_BINS:=.d)
