#!/bin/sh
# Installs the Candour reviewer kit on this computer without any network:
# checks the kit against SHA256SUMS, shows the kit fingerprint to compare with the
# one your organisation published, makes a private Python environment, installs the
# bundled wheels into it (pip --no-index) and adds the "Candour Desk" launcher.
#
#   sh install.sh                         asks you to compare the fingerprint
#   sh install.sh --fingerprint "ab12 …"  compares it for you (copy it exactly)
#   sh install.sh --prefix DIR            installs into DIR
set -u

say() { printf '%s\n' "$*"; }
stop() { printf 'Candour was not installed: %s\n' "$*" >&2; exit 1; }

KIT=$(cd "$(dirname "$0")" && pwd) || stop "cannot find the kit's folder."
EXPECTED=""
PREFIX=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fingerprint) [ $# -ge 2 ] || stop "--fingerprint needs the published fingerprint."; EXPECTED="$2"; shift 2 ;;
    --prefix) [ $# -ge 2 ] || stop "--prefix needs a folder."; PREFIX="$2"; shift 2 ;;
    *) stop "unknown option $1 (see README.txt)." ;;
  esac
done

# Python 3.11 or newer, called python3 (Debian, Tails and macOS have no "python").
PYTHON=$(command -v python3 || true)
[ -n "$PYTHON" ] || stop "this computer has no python3; install Python 3.11 or newer first (README.txt)."
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null ||
  stop "Candour needs Python 3.11 or newer and this computer has $("$PYTHON" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'an older one')."

# Every file must match SHA256SUMS, and SHA256SUMS the published fingerprint.
cd "$KIT" || stop "cannot open the kit's folder."
[ -f SHA256SUMS ] || stop "the kit is incomplete (SHA256SUMS is missing): copy the whole kit again."
"$PYTHON" - <<'PY' || stop "the kit is damaged or was changed (a file does not match SHA256SUMS): copy it again from the original."
import hashlib, sys
for line in open("SHA256SUMS", encoding="ascii"):
    digest, name = line.rstrip("\n").split("  ", 1)
    try:
        with open(name, "rb") as f:
            actual = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        sys.exit(1)
    if actual != digest:
        sys.exit(1)
PY
FINGERPRINT=$("$PYTHON" -c 'import hashlib; d = hashlib.sha256(open("SHA256SUMS", "rb").read()).hexdigest(); print(" ".join(d[i:i+4] for i in range(0, 64, 4)))')
say "Kit fingerprint: $FINGERPRINT"
if [ -n "$EXPECTED" ]; then
  normalised=$(printf '%s' "$EXPECTED" | tr -d ' \t' | tr 'A-F' 'a-f')
  [ "$normalised" = "$(printf '%s' "$FINGERPRINT" | tr -d ' ')" ] ||
    stop "the kit's fingerprint is not the one you gave: do not use this kit, and tell your organisation."
  say "It matches the fingerprint you gave."
else
  say "Compare it with the fingerprint your organisation published (every group)."
  printf 'Is it exactly the same? Type yes to install: '
  read -r answer || answer=""
  [ "$answer" = "yes" ] || stop "you did not confirm the fingerprint."
fi

# Where it goes: Tails' Persistent Storage when it is unlocked (so it survives a restart).
if [ -z "$PREFIX" ]; then
  if [ -d /live/persistence/TailsData_unlocked ] && [ -d "$HOME/Persistent" ]; then
    PREFIX="$HOME/Persistent/candour-desk"
  else
    PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}/candour-desk"
  fi
fi
mkdir -p "$PREFIX" && chmod 700 "$PREFIX" || stop "cannot create $PREFIX."

# A private environment; pip comes from the kit's own wheel, so python3-venv's
# ensurepip is not needed (Tails and Debian often lack it).
rm -rf "$PREFIX/venv"
"$PYTHON" -m venv --without-pip "$PREFIX/venv" 2>/dev/null ||
  stop "this python3 cannot make a virtual environment (on Debian: the python3-venv package)."
VPY="$PREFIX/venv/bin/python"
PIP_WHEEL=$(ls "$KIT"/wheels/pip-*.whl 2>/dev/null | head -n 1)
[ -n "$PIP_WHEEL" ] || stop "the kit has no pip wheel: copy the whole kit again."
"$VPY" "$PIP_WHEEL/pip" install --quiet --no-index --no-cache-dir --disable-pip-version-check \
  --find-links "$KIT/wheels" pynacl textual >"$PREFIX/install.log" 2>&1 ||
  stop "the bundled wheels do not fit this computer ($(uname -s) $(uname -m), $("$VPY" -c 'import platform; print(platform.python_version())')); see $PREFIX/install.log."
cp "$KIT/candour.pyz" "$PREFIX/candour.pyz" && chmod 644 "$PREFIX/candour.pyz" || stop "cannot copy candour.pyz."

# The launcher: a small script, then a menu entry (Linux, Tails) or a .command (macOS).
cat >"$PREFIX/candour-desk" <<SH
#!/bin/sh
exec "$VPY" "$PREFIX/candour.pyz" desk "\$@"
SH
cat >"$PREFIX/candour" <<SH
#!/bin/sh
exec "$VPY" "$PREFIX/candour.pyz" "\$@"
SH
chmod 755 "$PREFIX/candour-desk" "$PREFIX/candour"
case "$(uname -s)" in
  Darwin)
    mkdir -p "$HOME/Applications"
    LAUNCHER="$HOME/Applications/Candour Desk.command"
    printf '#!/bin/sh\nexec "%s"\n' "$PREFIX/candour-desk" >"$LAUNCHER" && chmod 755 "$LAUNCHER"
    ;;
  *)
    APPS="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
    mkdir -p "$APPS"
    LAUNCHER="$APPS/candour-desk.desktop"
    # The Desk runs in a terminal window: name one the desktop has, rather than rely on
    # Terminal=true (which some desktops map to a terminal that is not installed).
    EXEC="\"$PREFIX/candour-desk\""
    TERMINAL=true
    for candidate in gnome-terminal x-terminal-emulator konsole xfce4-terminal kgx; do
      if command -v "$candidate" >/dev/null 2>&1; then
        case "$candidate" in
          gnome-terminal) EXEC="gnome-terminal --maximize -- $EXEC" ;;
          xfce4-terminal) EXEC="xfce4-terminal --maximize -x $EXEC" ;;
          *) EXEC="$candidate -e $EXEC" ;;
        esac
        TERMINAL=false
        break
      fi
    done
    sed -e "s|@EXEC@|$EXEC|g" -e "s|@TERMINAL@|$TERMINAL|g" "$KIT/candour-desk.desktop" >"$LAUNCHER" &&
      chmod 644 "$LAUNCHER"
    ;;
esac
"$VPY" "$PREFIX/candour.pyz" --help >/dev/null 2>&1 || stop "the installed kit does not start; see README.txt."
say "Installed in $PREFIX."
say "Start it from the menu: Candour Desk (launcher: $LAUNCHER), or run: $PREFIX/candour-desk"
