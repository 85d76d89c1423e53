# Redline: `make run` builds and runs the daemon on ./articles, `make test` runs every test.
# Both install the Debian packages they need when missing (root, or sudo), so they work on a
# fresh Debian 12 machine that has the Swift toolchain.

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
UNITDIR     ?= /etc/systemd/system
CONFDIR     ?= /etc/redline
SWIFT       ?= swift
SWIFT_FLAGS ?=
# Release builds link the Swift runtime and Foundation statically: the installed binary needs no
# toolchain libraries, and a one-shot `redline diff` starts in ~9 ms instead of ~13 ms.
RELEASE_FLAGS ?= -c release --static-swift-stdlib

# The word lists `[diff] word_lists` names by default (LexiconLoader.defaultWordLists): without them the
# classifier still runs, on its rules without a lexicon, and logs which list is missing.
DICT_PACKAGES  := wamerican-large wbritish-large aspell-fa
APT_PACKAGES   := libinotifytools0-dev libsqlite3-dev zlib1g-dev libzstd-dev $(DICT_PACKAGES)
# Tests also use: inotify-tools (inotifywait, raw latency in benches), systemd (with-systemd),
# python3-jsonschema (schema validation of every record type), sqlite3 (a state store of an older
# schema, to test its migration), prometheus (promtool checks serve's /metrics), python3-feedparser
# (validates serve's Atom feeds), chromium (renders serve's history page headless), postgresql (a private
# PostgreSQL 15 for `redline ship`, run as nobody since it refuses root).
TEST_PACKAGES  := $(APT_PACKAGES) inotify-tools systemd python3-jsonschema sqlite3 prometheus python3-feedparser \
                  chromium postgresql
# libisal2: the fastest CRC-32 for `redline check`, found at run time (zlib is the fallback). wrk and nginx-light:
# serve's bench loads /changes with wrk beside nginx serving the same bytes as static files.
BENCH_PACKAGES := $(TEST_PACKAGES) hyperfine jq git libisal2 wrk nginx-light

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

TORTURE_KILLS ?= 500

.PHONY: torture run test build release install install-files uninstall bench deps test-deps bench-deps lint clean

# Installs the missing packages of $(1); `apt-get update` only when something is missing.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))

test-deps:
	$(call apt_install,$(TEST_PACKAGES))

bench-deps:
	$(call apt_install,$(BENCH_PACKAGES))

build: deps
	$(SWIFT) build $(SWIFT_FLAGS) --product redline

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_FLAGS) --product redline

## Builds, then runs the daemon in the foreground: ./articles watched, feed and state in ./var.
run: build
	@mkdir -p articles var
	@if [ -z "$$(ls -A articles)" ] && [ -d ../shared/corpus ]; then cp ../shared/corpus/*.txt articles/; fi
	@echo "redline: watching ./articles, feed in ./var/feed/changes.jsonl (Ctrl-C stops)"
	@echo "redline: in another terminal: .build/debug/redline tail --feed var/feed --from-beginning --follow"
	.build/debug/redline run --data-dir var --watch articles

## Builds everything and runs the whole suite (unit, integration against the built binary, and
## `make install` into a real systemd, which uses the release binary).
test: test-deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_FLAGS) --product redline
	REDLINE_RELEASE_BIN=$(CURDIR)/.build/release/redline $(SWIFT) test --skip-build $(SWIFT_FLAGS)

## The torture suite's long mode (issue 9): a random workload, TORTURE_KILLS SIGKILLs and restarts
## through rotations and retention, then check, replay and the loss and duplicate counts. Appends its
## row to Benchmarks/results/torture.md. `make test` runs the short mode (24 kills).
torture: test-deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	@mkdir -p Benchmarks/results
	REDLINE_TORTURE_KILLS=$(TORTURE_KILLS) REDLINE_TORTURE_RESULTS=$(CURDIR)/Benchmarks/results/torture.md \
	  $(SWIFT) test --skip-build $(SWIFT_FLAGS) --filter TortureTests

## Release binary, unit, example config (kept if present), shell completions (`redline help` is the manual).
install: release install-files

# Copies an already built $(BIN) and the other files; the systemd test installs through this.
BIN ?= .build/release/redline
install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/redline
	sed 's|/usr/local/bin/redline|$(BINDIR)/redline|g' systemd/redline.service > $(DESTDIR)$(UNITDIR)/redline.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/redline.service
	sed 's|/usr/local/bin/redline|$(BINDIR)/redline|g' systemd/redline-serve.service > $(DESTDIR)$(UNITDIR)/redline-serve.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/redline-serve.service
	sed 's|/usr/local/bin/redline|$(BINDIR)/redline|g' systemd/redline-ship.service > $(DESTDIR)$(UNITDIR)/redline-ship.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/redline-ship.service
	[ -e $(DESTDIR)$(CONFDIR)/redline.toml ] || install -m 0644 config/redline.toml $(DESTDIR)$(CONFDIR)/redline.toml
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/redline
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_redline
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/redline.fish
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "installed; next: edit $(CONFDIR)/redline.toml, then: systemctl enable --now redline.service"
	@echo "  and for HTTP (GET /changes, /metrics on 127.0.0.1:8640): systemctl enable --now redline-serve.service"
	@echo "  and into PostgreSQL (set [ship] postgres first): systemctl enable --now redline-ship.service"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/redline $(DESTDIR)$(UNITDIR)/redline.service $(DESTDIR)$(UNITDIR)/redline-serve.service \
	  $(DESTDIR)$(UNITDIR)/redline-ship.service \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/redline $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_redline \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/redline.fish
	@echo "kept $(CONFDIR)/redline.toml and the data directory; remove them by hand if you want them gone"

## Every Benchmarks/*/run.sh, release build; figures go to stdout and Benchmarks/results/.
bench: bench-deps
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_FLAGS) --product redline
	$(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_FLAGS) --product redline-bench
	@mkdir -p Benchmarks/results
	@set -e; for s in Benchmarks/*/run.sh; do echo "== $$s"; \
	  REDLINE_BIN=$(CURDIR)/.build/release/redline REDLINE_BENCH_BIN=$(CURDIR)/.build/release/redline-bench bash $$s; done

clean:
	rm -rf .build
