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

LIB_SRC   = lib/conf.c lib/db.c lib/db_rollup.c lib/db_read.c lib/db_alert.c \
            lib/rec.c lib/body.c lib/ts.c lib/money.c lib/utf8.c lib/log.c \
            lib/json.c lib/hist.c lib/tz.c lib/cli.c lib/alert.c lib/buf.c \
            lib/msg.c lib/fmt.c lib/budget.c
INGEST_SRC = ingest/main.c ingest/http.c ingest/batch.c ingest/import.c
AGG_SRC   = aggregate/main.c aggregate/rollup.c aggregate/alert.c \
            aggregate/notify.c aggregate/email.c aggregate/digest.c \
            aggregate/silence.c
RENDER_SRC = render/main.c render/out.c render/esc.c render/totals.c \
            render/report.c render/dashboard.c render/pages.c \
            render/jtree.c render/budget.c
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
# Every object records the headers it read (-MMD -MP), so that a changed
# header rebuilds exactly what includes it.
COMPILE   = $(CPPFLAGS) -MMD -MP $(WARN) $(PKG_CFLAGS) \
            -DAPIMON_SHARE='"$(SHARE)"' -Ilib -Irender -Iaggregate
CXXWARN   = -std=c++17 -Wall -Wextra -Werror

%.o: %.c | deps
	$(CC) $(COMPILE) $(CFLAGS) -c -o $@ $<

render/tpl.o: render/tpl.cc | deps
	$(CXX) $(CPPFLAGS) -MMD -MP $(CXXWARN) $(CFLAGS) -c -o $@ $<

lib/libapimon.a: $(LIB_SRC:.c=.o)
	rm -f $@ && ar rcs $@ $^

bin/apimon-ingest: $(INGEST_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-aggregate: $(AGG_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-render: $(RENDER_SRC:.c=.o) render/tpl.o lib/libapimon.a
	@mkdir -p bin
	$(CXX) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lctemplate -lm

bin/apimon-simulate: $(SIM_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-cron: $(CRON_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# The version --version prints (tools/version.sh: git describe, else the
# VERSION file).  Rewritten only when it changes, so that an unchanged
# version rebuilds nothing; lib/cli.c is all that includes it.
build/version.h: FORCE
	@mkdir -p build
	@v=$$(tools/version.sh) && \
	    printf '#define APIMON_VERSION\t"%s"\n' "$$v" >$@.tmp && \
	    if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
lib/cli.o build/san/lib/cli.o build/fuzz/fuzz-body: build/version.h
FORCE:

# ---- sanitizer build (what `make test` runs) --------------------------------
S = build/san
$(S)/%.o: %.c | deps-test
	@mkdir -p $(dir $@)
	$(CC) $(COMPILE) -O1 -g $(SAN) -c -o $@ $<

$(S)/render/tpl.o: render/tpl.cc | deps-test
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) -MMD -MP $(CXXWARN) -O1 -g $(SAN) -c -o $@ $<

$(S)/libapimon.a: $(addprefix $(S)/,$(LIB_SRC:.c=.o))
	rm -f $@ && ar rcs $@ $^

$(S)/bin/apimon-ingest: $(addprefix $(S)/,$(INGEST_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

$(S)/bin/apimon-aggregate: $(addprefix $(S)/,$(AGG_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(S)/bin/apimon-render: $(addprefix $(S)/,$(RENDER_SRC:.c=.o)) $(S)/render/tpl.o \
    $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CXX) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lctemplate -lm

$(S)/bin/apimon-simulate: $(addprefix $(S)/,$(SIM_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(S)/bin/apimon-cron: $(addprefix $(S)/,$(CRON_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Unit tests link the library and the programs' parts (not their mains).
PARTS = $(filter-out render/main.c,$(RENDER_SRC)) \
        $(filter-out aggregate/main.c,$(AGG_SRC))
$(S)/unit: $(addprefix $(S)/,$(UNIT_SRC:.c=.o)) \
    $(addprefix $(S)/,$(PARTS:.c=.o)) $(S)/render/tpl.o $(S)/libapimon.a
	$(CXX) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lctemplate -lcriterion -lm

san: $(S)/bin/apimon-ingest $(S)/bin/apimon-aggregate $(S)/bin/apimon-render \
     $(S)/bin/apimon-simulate $(S)/bin/apimon-cron $(S)/unit

# ---- fuzzing (clang + libFuzzer) --------------------------------------------
F = build/fuzz
$(F)/fuzz-body: tests/fuzz/fuzz_body.c $(LIB_SRC) $(wildcard lib/*.h) | deps-test
	@mkdir -p $(F)
	$(CLANG) $(CPPFLAGS) $(WARN) -Wno-error=unused-command-line-argument -O1 -g \
	    -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -Ilib -o $@ \
	    tests/fuzz/fuzz_body.c $(LIB_SRC) $(PKG_LIBS) -lm

FUZZ_SECONDS ?= 600
fuzz: $(F)/fuzz-body
	@mkdir -p build/fuzz/corpus
	$(F)/fuzz-body -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus tests/fuzz/corpus

# ---- the two commands -------------------------------------------------------
test: deps-test all san $(F)/fuzz-body
	@tests/run.sh

run: all
	@tools/run.sh

bench: deps-test all
	@bench/run.sh

# apimon-render finds $(SHAREDIR) from its own place: bin/../share/apimon.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/templates \
	    $(DESTDIR)$(SHAREDIR)/locales \
	    $(DESTDIR)$(SHAREDIR)/site $(DESTDIR)$(SHAREDIR)/examples \
	    $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 644 templates/*.tpl $(DESTDIR)$(SHAREDIR)/templates
	install -m 644 locales/*.json $(DESTDIR)$(SHAREDIR)/locales
	install -m 644 site/*.css site/*.js $(DESTDIR)$(SHAREDIR)/site
	install -m 644 etc/apimon.json etc/nginx/apimon.conf etc/systemd/* \
	    cron/crontab $(DESTDIR)$(SHAREDIR)/examples
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1

clean:
	rm -rf bin build lib/*.[oad] ingest/*.[od] aggregate/*.[od] render/*.[od] \
	    cron/*.[od] tools/*.[od]

-include $(wildcard lib/*.d ingest/*.d aggregate/*.d render/*.d cron/*.d \
    tools/*.d) $(shell find $(S) -name '*.d' 2>/dev/null)

.PHONY: all deps deps-test san fuzz test run bench install clean
