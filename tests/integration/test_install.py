"""`cmake --install` into a temporary prefix, used as a program outside the
tree would use it (issue 25): the installed programs run, a C program builds
against libmnemo with `pkg-config --cflags --libs mnemo` (shared) and with the
static archive, and talks to the installed mnemod; every man page renders
without a warning and documents what the program's --help lists.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mnemo_harness import free_port, wait_answering

BUILD = Path(os.environ.get("MNEMO_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
ROOT = Path(__file__).resolve().parents[2]

PROGRAM = r"""
#include <mnemo/mnemo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct mnemo_client *c;
    char *v = NULL;
    size_t n = 0;
    uint32_t flags = 0;
    if (argc != 2 || mnemo_create(&c, argv[1], NULL) != MNEMO_OK)
        return 2;
    mnemo_status st = mnemo_set(c, "installed", 9, "it works", 8, 42, 0);
    if (st != MNEMO_OK) {
        fprintf(stderr, "set: %s\n", mnemo_strerror(st));
        return 1;
    }
    st = mnemo_get(c, "installed", 9, &v, &n, &flags, NULL);
    if (st != MNEMO_OK) {
        fprintf(stderr, "get: %s\n", mnemo_strerror(st));
        return 1;
    }
    printf("%.*s %u\n", (int)n, v, flags);
    free(v);
    mnemo_destroy(&c);
    return 0;
}
"""


def sanitizer_flags():
    """A sanitized libmnemo needs its runtime in the program too."""
    cache = (BUILD / "CMakeCache.txt").read_text()
    if re.search(r"^MNEMO_SANITIZE:BOOL=ON", cache, re.M):
        return ["-fsanitize=address,undefined"]
    if re.search(r"^MNEMO_TSAN:BOOL=ON", cache, re.M):
        return ["-fsanitize=thread"]
    return []


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefix")
    out = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(root)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return root


def libdir(prefix):
    pcs = list(prefix.glob("lib*/**/pkgconfig/mnemo.pc")) + list(prefix.glob("lib/pkgconfig/mnemo.pc"))
    assert pcs, "no mnemo.pc installed"
    return pcs[0].parent.parent


def pkg_config(prefix, *args):
    env = dict(os.environ, PKG_CONFIG_PATH=str(libdir(prefix) / "pkgconfig"))
    out = subprocess.run(["pkg-config", *args, "mnemo"], capture_output=True, text=True, env=env,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_layout(prefix):
    lib = libdir(prefix)
    for rel in ["bin/mnemod", "bin/mnemo-cli", "bin/mnemo-bench"]:
        assert os.access(prefix / rel, os.X_OK), rel
    assert (prefix / "include/mnemo/mnemo.h").is_file()
    assert (lib / "libmnemo.a").is_file()
    real = lib / "libmnemo.so.0.1.0"
    assert real.is_file() and not real.is_symlink()
    assert os.readlink(lib / "libmnemo.so.0") == "libmnemo.so.0.1.0"
    assert (lib / "libmnemo.so").resolve() == real.resolve()
    soname = subprocess.run(["readelf", "-d", str(real)], capture_output=True, text=True).stdout
    assert "Library soname: [libmnemo.so.0]" in soname
    for page in ["man1/mnemod.1", "man1/mnemo-cli.1", "man1/mnemo-bench.1", "man3/libmnemo.3"]:
        assert (prefix / "share/man" / page).is_file(), page


def test_shared_library_hides_internals(prefix):
    syms = subprocess.run(["nm", "-D", "--defined-only", str(libdir(prefix) / "libmnemo.so.0")],
                          capture_output=True, text=True).stdout.split("\n")
    names = [line.split()[-1] for line in syms if line.strip()]
    assert names and all(n.startswith("mnemo_") for n in names), names


def test_pkg_config_fields(prefix):
    assert pkg_config(prefix, "--modversion") == ["0.1.0"]
    cflags = pkg_config(prefix, "--cflags")
    assert cflags == ["-I%s" % (prefix / "include")] or \
        Path(cflags[0][2:]).resolve() == (prefix / "include").resolve()


@pytest.fixture
def installed_server(prefix, tmp_path):
    port = free_port()
    log = open(tmp_path / "mnemod.stderr", "w")
    argv = [str(prefix / "bin/mnemod"), "-p", str(port), "-l", "127.0.0.1", "-U", "0"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)

    try:
        wait_answering(proc, port, "the installed mnemod")
        yield "127.0.0.1:%d" % port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def build_and_run(tmp_path, compile_argv, server, env=None):
    src = tmp_path / "outside.c"
    src.write_text(PROGRAM)
    exe = tmp_path / "outside"
    out = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", *sanitizer_flags(), "-o", str(exe),
                          str(src), *compile_argv], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    run = subprocess.run([str(exe), server], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "it works 42\n"


def test_program_outside_the_tree_shared(prefix, installed_server, tmp_path):
    flags = pkg_config(prefix, "--cflags") + pkg_config(prefix, "--libs")
    env = dict(os.environ, LD_LIBRARY_PATH=str(libdir(prefix)))
    build_and_run(tmp_path, flags, installed_server, env)
    # and it really loaded the installed library
    ldd = subprocess.run(["ldd", str(tmp_path / "outside")], capture_output=True, text=True,
                         env=env).stdout
    assert str(libdir(prefix) / "libmnemo.so.0") in ldd


def test_program_outside_the_tree_static(prefix, installed_server, tmp_path):
    flags = pkg_config(prefix, "--cflags") + [str(libdir(prefix) / "libmnemo.a")] + \
        [f for f in pkg_config(prefix, "--static", "--libs") if f != "-lmnemo" and not f.startswith("-L")]
    build_and_run(tmp_path, flags, installed_server)
    ldd = subprocess.run(["ldd", str(tmp_path / "outside")], capture_output=True, text=True).stdout
    assert "libmnemo" not in ldd


@pytest.mark.parametrize("prog", ["mnemod", "mnemo-cli", "mnemo-bench"])
def test_installed_programs_run(prefix, prog):
    out = subprocess.run([str(prefix / "bin" / prog), "--version"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("%s 0.1.0" % prog)


def render(page):
    out = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                         env=dict(os.environ, MANWIDTH="100", LC_ALL="C.UTF-8", MANPAGER="cat",
                                  PAGER="cat"), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "", "%s: %s" % (page.name, out.stderr)
    return out.stdout


@pytest.mark.parametrize("page", ["man1/mnemod.1", "man1/mnemo-cli.1", "man1/mnemo-bench.1",
                                  "man3/libmnemo.3"])
def test_man_page_renders(prefix, page):
    if shutil.which("man") is None:
        pytest.skip("man-db is not installed")
    text = render(prefix / "share/man" / page)
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"]:
        assert re.search(r"^%s$" % section, text, re.M), (page, section)


def help_options(prog, prefix):
    """The long options (or lone short ones) --help lists."""
    text = subprocess.run([str(prefix / "bin" / prog), "--help"], capture_output=True,
                          text=True).stdout
    return set(re.findall(r"--[a-z][a-z-]+", text)) | set(re.findall(r"^ {3}- ([a-z_]+)", text, re.M))


@pytest.mark.parametrize("prog", ["mnemod", "mnemo-cli", "mnemo-bench"])
def test_man_page_lists_every_option(prefix, prog):
    if shutil.which("man") is None:
        pytest.skip("man-db is not installed")
    text = render(prefix / "share/man/man1" / ("%s.1" % prog))
    text = text.replace("\u2010", "-").replace("\u2212", "-")
    missing = sorted(o for o in help_options(prog, prefix) if o not in text)
    assert missing == []


def test_libmnemo_page_names_every_call(prefix):
    header = (ROOT / "include/mnemo/mnemo.h").read_text()
    calls = set(re.findall(r"^MNEMO_API [^(]*?\b(mnemo_[a-z_]+)\(", header, re.M))
    assert len(calls) > 20
    page = (prefix / "share/man/man3/libmnemo.3").read_text()
    assert sorted(c for c in calls if c not in page) == []
