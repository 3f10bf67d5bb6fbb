# apimon — one plain Makefile.  `make`, `make test`, `make run`, `make bench`.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SHAREDIR  ?= $(PREFIX)/share/apimon
MANDIR    ?= $(PREFIX)/share/man
CC        ?= cc
CLANG     ?= clang
CFLAGS    ?= -O2 -g
CXX       ?= c++
# Where apimon-render finds templates/ and site/ (make install moves it).
SHARE     ?= $(CURDIR)
WARN      = -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wshadow \
            -Wmissing-prototypes -Werror
PKGS      = sqlite3 libcjson fcgi libcurl
# Recursive on purpose: expanded in recipes, after `deps` has installed pkg-config.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC   = lib/conf.c lib/db.c lib/rec.c lib/ts.c lib/money.c lib/utf8.c lib/log.c lib/json.c lib/hist.c lib/tz.c lib/db_agg.c lib/cli.c
LIB_HDR   = $(wildcard lib/*.h)
INGEST_SRC = ingest/main.c ingest/http.c ingest/batch.c ingest/import.c
AGG_SRC   = aggregate/main.c aggregate/rollup.c aggregate/alert.c \
            aggregate/notify.c
RENDER_SRC = render/main.c render/out.c render/esc.c render/totals.c \
            render/report.c render/dashboard.c render/pages.c
SIM_SRC   = tools/simulate.c
CRON_SRC  = cron/main.c cron/lock.c cron/step.c
UNIT_SRC  = $(wildcard tests/unit/*.c)

PROGS     = bin/apimon-ingest bin/apimon-aggregate bin/apimon-render \
            bin/apimon-simulate bin/apimon-cron

all: $(PROGS)

deps:
	@tools/deps.sh build

deps-test: deps
	@tools/deps.sh test

# ---- release build ---------------------------------------------------------
lib/%.o: lib/%.c $(LIB_HDR) | deps
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

lib/libapimon.a: $(LIB_SRC:.c=.o)
	rm -f $@ && ar rcs $@ $^

ingest/%.o: ingest/%.c ingest/ingest.h $(LIB_HDR) | deps
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Ilib -c -o $@ $<

aggregate/%.o: aggregate/%.c aggregate/agg.h $(LIB_HDR) | deps
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Ilib -c -o $@ $<

render/%.o: render/%.c render/render.h render/tpl.h $(LIB_HDR) | deps
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -DAPIMON_SHARE='"$(SHARE)"' -Ilib -Irender -c -o $@ $<

render/tpl.o: render/tpl.cc render/tpl.h | deps
	$(CXX) -std=c++17 -Wall -Wextra -Werror $(CFLAGS) -c -o $@ $<

cron/%.o: cron/%.c cron/cron.h $(LIB_HDR) | deps
	$(CC) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Ilib -c -o $@ $<

tools/%.o: tools/%.c $(LIB_HDR) | deps
	$(CC) $(WARN) $(CFLAGS) -Ilib -c -o $@ $<

bin/apimon-ingest: $(INGEST_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-aggregate: $(AGG_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-render: $(RENDER_SRC:.c=.o) render/tpl.o lib/libapimon.a
	@mkdir -p bin
	$(CXX) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lctemplate -lm

bin/apimon-simulate: $(SIM_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-cron: $(CRON_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# ---- sanitizer build (what `make test` runs) --------------------------------
S = build/san
$(S)/%.o: %.c $(LIB_HDR) ingest/ingest.h aggregate/agg.h render/render.h \
    cron/cron.h | deps-test
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) -DAPIMON_SHARE='"$(SHARE)"' \
	    -Ilib -Irender -c -o $@ $<

$(S)/render/tpl.o: render/tpl.cc render/tpl.h | deps-test
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -Wall -Wextra -Werror -O1 -g $(SAN) -c -o $@ $<

$(S)/bin/apimon-render: $(addprefix $(S)/,$(RENDER_SRC:.c=.o)) $(S)/render/tpl.o \
    $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CXX) $(SAN) -o $@ $^ $(PKG_LIBS) -lctemplate -lm

$(S)/libapimon.a: $(addprefix $(S)/,$(LIB_SRC:.c=.o))
	rm -f $@ && ar rcs $@ $^

$(S)/bin/apimon-ingest: $(addprefix $(S)/,$(INGEST_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -pthread -o $@ $^ $(PKG_LIBS) -lm

$(S)/bin/apimon-aggregate: $(addprefix $(S)/,$(AGG_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS) -lm

$(S)/bin/apimon-simulate: $(addprefix $(S)/,$(SIM_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS) -lm

$(S)/bin/apimon-cron: $(addprefix $(S)/,$(CRON_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS) -lm

# Unit tests link the library and apimon-render's parts (not its main).
RENDER_PARTS = $(filter-out render/main.c,$(RENDER_SRC))
$(S)/unit: $(addprefix $(S)/,$(UNIT_SRC:.c=.o)) \
    $(addprefix $(S)/,$(RENDER_PARTS:.c=.o)) $(S)/render/tpl.o $(S)/libapimon.a
	$(CXX) $(SAN) -o $@ $^ $(PKG_LIBS) -lctemplate -lcriterion -lm

san: $(S)/bin/apimon-ingest $(S)/bin/apimon-aggregate $(S)/bin/apimon-render \
     $(S)/bin/apimon-simulate $(S)/bin/apimon-cron $(S)/unit

# ---- fuzzing (clang + libFuzzer) --------------------------------------------
F = build/fuzz
$(F)/fuzz-rec: tests/fuzz/fuzz_rec.c $(LIB_SRC) $(LIB_HDR) | deps-test
	@mkdir -p $(F)
	$(CLANG) $(WARN) -Wno-error=unused-command-line-argument -O1 -g \
	    -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -Ilib -o $@ \
	    tests/fuzz/fuzz_rec.c $(LIB_SRC) $(PKG_LIBS) -lm

FUZZ_SECONDS ?= 600
fuzz: $(F)/fuzz-rec
	@mkdir -p build/fuzz/corpus
	$(F)/fuzz-rec -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus tests/fuzz/corpus

# ---- the two commands -------------------------------------------------------
test: deps-test all san $(F)/fuzz-rec
	@tests/run.sh

run: all
	@tools/run.sh

bench: deps-test all
	@bench/run.sh

# apimon-render finds $(SHAREDIR) from its own place: bin/../share/apimon.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/templates \
	    $(DESTDIR)$(SHAREDIR)/site $(DESTDIR)$(SHAREDIR)/examples \
	    $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 644 templates/*.tpl $(DESTDIR)$(SHAREDIR)/templates
	install -m 644 site/*.css site/*.js $(DESTDIR)$(SHAREDIR)/site
	install -m 644 etc/apimon.json etc/nginx/apimon.conf etc/systemd/* \
	    cron/crontab $(DESTDIR)$(SHAREDIR)/examples
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1

clean:
	rm -rf bin build lib/*.o lib/*.a ingest/*.o aggregate/*.o render/*.o \
	    cron/*.o tools/*.o

.PHONY: all deps deps-test san fuzz test run bench install clean
