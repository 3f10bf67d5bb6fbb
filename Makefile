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
PKGS      = sqlite3 libcjson fcgi libcurl libprotobuf-c zlib
# Recursive on purpose: expanded in recipes, once pkg-config is known to be there.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC   = lib/conf.c lib/db.c lib/db_rollup.c lib/db_read.c lib/db_alert.c \
            lib/rec.c lib/rec_text.c lib/body.c lib/ts.c lib/money.c lib/utf8.c lib/log.c \
            lib/json.c lib/hist.c lib/tz.c lib/cli.c lib/alert.c lib/buf.c \
            lib/msg.c lib/fmt.c lib/budget.c lib/conf_ch.c lib/db_ch.c \
            lib/ch.c
INGEST_SRC = ingest/main.c ingest/http.c ingest/batch.c ingest/import.c \
            ingest/otlp.c
AGG_SRC   = aggregate/main.c aggregate/rollup.c aggregate/alert.c \
            aggregate/notify.c aggregate/email.c aggregate/digest.c \
            aggregate/silence.c aggregate/ch_rollup.c
RENDER_SRC = render/main.c render/out.c render/esc.c render/totals.c \
            render/report.c render/dashboard.c render/pages.c \
            render/jtree.c render/budget.c render/explore.c \
            render/export.c render/charts.c
SIM_SRC   = tools/simulate.c
CRON_SRC  = cron/main.c cron/lock.c cron/step.c
SHIP_SRC  = ship/main.c ship/ship.c ship/init.c cron/lock.c
UNIT_SRC  = $(wildcard tests/unit/*.c)

PROGS     = bin/apimon-ingest bin/apimon-aggregate bin/apimon-render \
            bin/apimon-simulate bin/apimon-cron bin/apimon-ship

all: $(PROGS)

# Only `deps` and `deps-test` install packages, and only `run`, `test` and
# `bench` use them: `make` and `make install` check and fail, so that building
# on a server never installs nginx and starts it on port 80.
deps:
	@tools/deps.sh build

deps-test:
	@tools/deps.sh test

deps-bench:
	@tools/deps.sh bench

check-deps:
	@tools/deps.sh --check build

check-deps-test:
	@tools/deps.sh --check test

# ---- release build ---------------------------------------------------------
# Every object records the headers it read (-MMD -MP), so that a changed
# header rebuilds exactly what includes it.
COMPILE   = $(CPPFLAGS) -MMD -MP $(WARN) $(PKG_CFLAGS) \
            -DAPIMON_SHARE='"$(SHARE)"' -Ilib -Irender -Iaggregate
CXXWARN   = -std=c++17 -Wall -Wextra -Werror

%.o: %.c | check-deps
	$(CC) $(COMPILE) $(CFLAGS) -c -o $@ $<

render/tpl.o: render/tpl.cc | check-deps
	$(CXX) $(CPPFLAGS) -MMD -MP $(CXXWARN) $(CFLAGS) -c -o $@ $<

lib/libapimon.a: $(LIB_SRC:.c=.o)
	rm -f $@ && ar rcs $@ $^

bin/apimon-ingest: $(INGEST_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-aggregate: $(AGG_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-render: $(RENDER_SRC:.c=.o) render/tpl.o lib/libapimon.a
	@mkdir -p bin
	$(CXX) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lctemplate -lm

bin/apimon-simulate: $(SIM_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-cron: $(CRON_SRC:.c=.o) lib/libapimon.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

bin/apimon-ship: $(SHIP_SRC:.c=.o) lib/libapimon.a
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
$(S)/%.o: %.c | check-deps-test
	@mkdir -p $(dir $@)
	$(CC) $(COMPILE) -O1 -g $(SAN) -c -o $@ $<

$(S)/render/tpl.o: render/tpl.cc | check-deps-test
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) -MMD -MP $(CXXWARN) -O1 -g $(SAN) -c -o $@ $<

$(S)/libapimon.a: $(addprefix $(S)/,$(LIB_SRC:.c=.o))
	rm -f $@ && ar rcs $@ $^

$(S)/bin/apimon-ingest: $(addprefix $(S)/,$(INGEST_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

$(S)/bin/apimon-aggregate: $(addprefix $(S)/,$(AGG_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

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

$(S)/bin/apimon-ship: $(addprefix $(S)/,$(SHIP_SRC:.c=.o)) $(S)/libapimon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Unit tests link the library and the programs' parts (not their mains).
PARTS = $(filter-out render/main.c,$(RENDER_SRC)) \
        $(filter-out aggregate/main.c,$(AGG_SRC))
$(S)/unit: $(addprefix $(S)/,$(UNIT_SRC:.c=.o)) \
    $(addprefix $(S)/,$(PARTS:.c=.o)) $(S)/render/tpl.o $(S)/libapimon.a
	$(CXX) $(SAN) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lctemplate -lcriterion -lm

san: $(S)/bin/apimon-ingest $(S)/bin/apimon-aggregate $(S)/bin/apimon-render \
     $(S)/bin/apimon-simulate $(S)/bin/apimon-cron $(S)/bin/apimon-ship \
     $(S)/unit

# ---- fuzzing (clang + libFuzzer) --------------------------------------------
F = build/fuzz
$(F)/fuzz-body: tests/fuzz/fuzz_body.c $(LIB_SRC) $(wildcard lib/*.h) | check-deps-test
	@mkdir -p $(F)
	$(CLANG) $(CPPFLAGS) $(WARN) -Wno-error=unused-command-line-argument -O1 -g \
	    -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -Ilib -o $@ \
	    tests/fuzz/fuzz_body.c $(LIB_SRC) $(PKG_LIBS) -lm

FUZZ_SECONDS ?= 600
fuzz: $(F)/fuzz-body
	@mkdir -p build/fuzz/corpus
	$(F)/fuzz-body -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus tests/fuzz/corpus

# ---- OTLP (POST /v1/traces): protobuf-c code generated from lib/otlp.proto --
# The generated C is not ours to keep warning-free (gcc's -Wmissing-braces
# on its initialisers): it gets its own flags, everything else keeps -Werror.
# The decoders go into the library beside the record parser they feed.
GEN       = build/gen
OTLP_SRC  = lib/otlp.c lib/otlp_pb.c lib/otlp_json.c lib/gunzip.c
PB_C      = $(GEN)/otlp.pb-c.c
PB_FLAGS  = -std=c17 -Wall -Wno-missing-braces -I$(GEN)

$(GEN)/otlp.pb-c.h: lib/otlp.proto | check-deps
	@mkdir -p $(GEN)
	protoc-c --proto_path=lib --c_out=$(GEN) lib/otlp.proto
$(PB_C): $(GEN)/otlp.pb-c.h

$(GEN)/otlp.pb-c.o: $(PB_C)
	$(CC) $(CPPFLAGS) $(PB_FLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<
$(S)/$(GEN)/otlp.pb-c.o: $(PB_C)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PB_FLAGS) $(PKG_CFLAGS) -O1 -g $(SAN) -c -o $@ $<

lib/otlp_pb.o $(S)/lib/otlp_pb.o: $(GEN)/otlp.pb-c.h
lib/otlp_pb.o $(S)/lib/otlp_pb.o: COMPILE += -I$(GEN)
lib/libapimon.a: $(OTLP_SRC:.c=.o) $(GEN)/otlp.pb-c.o
$(S)/libapimon.a: $(addprefix $(S)/,$(OTLP_SRC:.c=.o)) $(S)/$(GEN)/otlp.pb-c.o

# One fuzz target for each decoder; the generated C built once for both.
$(F)/otlp.pb-c.o: $(PB_C) | check-deps-test
	@mkdir -p $(F)
	$(CLANG) $(CPPFLAGS) $(PB_FLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	    $(PKG_CFLAGS) -c -o $@ $<
$(F)/fuzz-otlp-pb: FUZZ_ENC = OTLP_PROTOBUF
$(F)/fuzz-otlp-json: FUZZ_ENC = OTLP_JSON
$(F)/fuzz-otlp-%: tests/fuzz/fuzz_otlp.c $(F)/otlp.pb-c.o $(LIB_SRC) $(OTLP_SRC) \
    $(wildcard lib/*.h) | check-deps-test
	$(CLANG) $(CPPFLAGS) $(WARN) -Wno-error=unused-command-line-argument -O1 -g \
	    -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -Ilib -I$(GEN) \
	    -DFUZZ_ENC=$(FUZZ_ENC) -o $@ $< $(LIB_SRC) $(OTLP_SRC) $(F)/otlp.pb-c.o \
	    $(PKG_LIBS) -lm
FUZZ_OTLP = $(F)/fuzz-otlp-pb $(F)/fuzz-otlp-json

fuzz-otlp: $(FUZZ_OTLP)
	@mkdir -p build/fuzz/corpus-otlp-pb build/fuzz/corpus-otlp-json
	$(F)/fuzz-otlp-pb -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-otlp-pb \
	    tests/fuzz/corpus-otlp-pb
	$(F)/fuzz-otlp-json -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-otlp-json \
	    tests/fuzz/corpus-otlp-json

# ---- the two commands -------------------------------------------------------
# The packages first, then the build in a second make that sees them.
test: deps-test
	@$(MAKE) --no-print-directory all san $(F)/fuzz-body $(FUZZ_OTLP)
	@tests/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@tools/run.sh

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh

# apimon-render finds $(SHAREDIR) from its own place: bin/../share/apimon.
# `make uninstall` removes what the list in $(SHAREDIR)/installed-files says.
# The Node example is a folder of its own (npm ci there makes node_modules).
OTEL_NODE = docs/examples/otel-node
EXAMPLES  = etc/apimon.json etc/nginx/apimon.conf etc/nginx/apimon-tls.conf.example \
            etc/systemd/* cron/crontab etc/apimon.logrotate \
            $(filter-out $(OTEL_NODE),$(wildcard docs/examples/*))
install: all
	@tools/install.sh install "$(DESTDIR)" "$(SHAREDIR)" \
	    755 "$(BINDIR)" $(PROGS) -- \
	    644 "$(SHAREDIR)/templates" templates/*.tpl -- \
	    644 "$(SHAREDIR)/locales" locales/*.json -- \
	    644 "$(SHAREDIR)/site" site/*.css site/*.js -- \
	    644 "$(SHAREDIR)/python" tools/apimon_client.py -- \
	    644 "$(SHAREDIR)/examples" $(EXAMPLES) -- \
	    644 "$(SHAREDIR)/examples/otel-node" $(OTEL_NODE)/package.json \
	        $(OTEL_NODE)/package-lock.json $(OTEL_NODE)/genai.mjs -- \
	    644 "$(MANDIR)/man1" docs/man/*.1

uninstall:
	@tools/install.sh uninstall "$(DESTDIR)" "$(SHAREDIR)"

clean:
	rm -rf bin build lib/*.[oad] ingest/*.[od] aggregate/*.[od] render/*.[od] \
	    cron/*.[od] tools/*.[od] ship/*.[od]

-include $(wildcard lib/*.d ingest/*.d aggregate/*.d render/*.d cron/*.d \
    tools/*.d ship/*.d) $(shell find $(S) -name '*.d' 2>/dev/null)

.PHONY: all deps deps-test deps-bench check-deps check-deps-test san fuzz \
        fuzz-otlp test run bench install uninstall clean
