# Sourced by scripts/test and scripts/demo: make ./.venv with mvpgen and its test tools in it.
# Needs only Python 3.11+ (python3, or $PYTHON); pip brings everything else, uv included.

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"

find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: mvpgen needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

if [ ! -x "$venv/bin/python" ]; then
    python="$(find_python)"
    echo "==> creating $venv with $python" >&2
    "$python" -m venv "$venv"
fi
echo "==> installing mvpgen and its test tools into $venv" >&2
# Not editable: the tests run what a user installs, templates shipped inside the wheel.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$repo[test]"
export PATH="$venv/bin:$PATH"
