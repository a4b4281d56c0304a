# The Python module against the command: configs and their errors, netlists, simulation, and runs
# whose images.csv equal the CLI's byte for byte; arrays in place of files; bad arguments.
import os
import subprocess

import numpy as np
import pytest

import spinxbar as sx

SRC = os.environ["SPX_SOURCE_DIR"]
CLI = os.environ["SPINXBAR"]
SMALL = os.path.join(SRC, "examples", "small", "small.toml")
MNIST = os.path.join(SRC, "examples", "mnist", "mnist.toml")


def cli(*args, check=True):
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=check)


def test_config_load_override_and_errors():
    c = sx.Config(SMALL)
    assert c.sizes == [16, 8, 4] and c.inputs == 16
    c2 = sx.Config(SMALL, set=["partition.tile=[8, 8]"])
    assert c2.set == ["partition.tile=[8, 8]"]
    with pytest.raises(ValueError) as e:
        sx.Config(SMALL, set=["interconnect.rho_bulk=0"])
    # The same one line as the command's.
    r = cli("netlist", SMALL, "-o", "/dev/null", "--set", "interconnect.rho_bulk=0", check=False)
    assert r.returncode == 2
    assert "spinxbar: " + str(e.value) + "\n" == r.stderr
    with pytest.raises(ValueError, match="cannot open"):
        sx.Config(os.path.join(SRC, "nope.toml"))


def test_netlist_equals_the_commands(tmp_path):
    text = sx.netlist(sx.Config(SMALL))
    cli("netlist", SMALL, "-o", str(tmp_path / "small.cir"))
    assert text == (tmp_path / "small.cir").read_text()
    hspice = sx.netlist(sx.Config(SMALL), dialect="hspice")
    assert "vol='" in hspice and "v={" not in hspice
    hier = sx.netlist(sx.Config(SMALL), hierarchical=True)
    cli("netlist", SMALL, "-o", str(tmp_path / "small_h.cir"), "--hierarchical")
    assert hier == (tmp_path / "small_h.cir").read_text()
    assert ".subckt tile_l1_h0_v0 " in hier
    with pytest.raises(ValueError, match="dialect"):
        sx.netlist(sx.Config(SMALL), dialect="spectre")


def test_simulate_text_and_file(tmp_path):
    r = sx.simulate(text="t\nV1 in 0 1\nR1 in out 1k\nR2 out 0 3k\n.op\n.tran 1n 4n\n")
    assert [a["type"] for a in r] == ["op", "tran"]
    assert isinstance(r[0]["vectors"]["v(out)"], np.ndarray)
    assert r[0]["vectors"]["v(out)"][0] == pytest.approx(0.75, abs=1e-12)
    assert len(r[1]["scale"]) == len(r[1]["vectors"]["v(out)"])
    f = tmp_path / "d.cir"
    f.write_text("t\nV1 in 0 1\nR1 in out 1k\nR2 out 0 3k\n.op\n")
    assert sx.simulate(str(f))[0]["vectors"]["i(v1)"][0] == pytest.approx(-0.25e-3, rel=1e-12)
    with pytest.raises(ValueError, match="unknown element"):
        sx.simulate(text="t\nQ1 a b c m\n.op\n")
    with pytest.raises(ValueError, match="path or text"):
        sx.simulate()
    with pytest.raises(RuntimeError, match="floating node"):
        sx.simulate(text="t\nV1 a 0 1\nR1 a 0 1k\nR2 p q 1k\n.op\n")


@pytest.mark.parametrize("config,images", [(SMALL, None), (MNIST, 300)])
def test_run_equals_the_commands_images_csv(tmp_path, config, images):
    n = [] if images is None else ["--images", str(images)]
    cli("run", config, "--out", str(tmp_path / "cli"), *n)
    r = sx.run(sx.Config(config), images=-1 if images is None else images, out=str(tmp_path / "py"))
    assert (tmp_path / "py" / "images.csv").read_bytes() == (tmp_path / "cli" / "images.csv").read_bytes()
    rows = np.genfromtxt(tmp_path / "cli" / "images.csv", delimiter=",", names=True)
    assert np.array_equal(r["predictions"], rows["prediction"].astype(int))
    assert np.array_equal(r["energy_j"], rows["energy_j"])
    assert r["outputs"].shape == (len(rows), sx.Config(config).sizes[-1])
    assert r["accuracy"] == r["summary"]["accuracy"]


def test_arrays_in_place_of_files():
    small = os.path.join(SRC, "examples", "small")
    x = np.loadtxt(os.path.join(small, "test_data.csv"), delimiter=",")
    y = np.argmax(np.loadtxt(os.path.join(small, "test_labels.csv"), delimiter=","), axis=1)
    w = [(np.loadtxt(os.path.join(small, f"W{k}.csv"), delimiter=","), np.loadtxt(os.path.join(small, f"B{k}.csv"), delimiter=","))
         for k in (1, 2)]
    files = sx.run(sx.Config(SMALL))
    # The config binarizes CSV data by sign to +-1 V; arrays are the input voltages themselves.
    arrays = sx.run(sx.Config(SMALL), inputs=np.sign(x), labels=y, weights=w)
    assert np.array_equal(arrays["outputs"], files["outputs"])
    assert np.array_equal(arrays["predictions"], files["predictions"])
    assert arrays["accuracy"] == files["accuracy"]
    # Another weight set changes the outputs.
    flipped = [(-w[0][0], w[0][1]), w[1]]
    assert not np.array_equal(sx.run(sx.Config(SMALL), inputs=np.sign(x), weights=flipped)["outputs"], files["outputs"])


def test_bad_arguments_name_themselves():
    c = sx.Config(SMALL)
    x = np.ones((2, 16))
    cases = [
        (dict(inputs=np.ones((2, 5))), "inputs: shape must be (images, 16)"),
        (dict(inputs=[[1.0] * 16]), "inputs: must be a numpy array"),
        (dict(inputs=np.array([["a"] * 16])), "inputs: must be a numeric array"),
        (dict(inputs=np.full((1, 16), np.nan)), "inputs: element 0 is nan"),
        (dict(inputs=x, labels=np.array([0, 7])), "labels: element 1 must be a class in [0, 4)"),
        (dict(inputs=x, labels=np.array([0])), "labels: shape must be (2,)"),
        (dict(labels=np.array([0])), "labels: given without inputs"),
        (dict(weights=[(np.ones((16, 8)), np.ones(8))]), "weights: 1 layers given, the network has 2"),
        (dict(weights=[(np.ones((16, 7)), np.ones(8)), (np.ones((8, 4)), np.ones(4))]), "weights[0][0]: shape must be (16, 8)"),
        (dict(weights=[(np.ones((16, 8)), np.ones(8)), (np.ones((8, 4)), np.array([1, 1, np.inf, 1]))]), "weights[1][1]: element 2 is inf"),
        (dict(weights=[(np.full((16, 8), 0.5), np.ones(8)), (np.ones((8, 4)), np.ones(4))]), "weights[0][0][0,0]: 0.5 is not one of the 2 weight levels"),
        (dict(backend="spectre"), "backend: must be native or ngspice"),
        (dict(threads=0), "threads: must be in [1, 1024]"),
    ]
    sc = sx.Config(os.path.join(SRC, "examples", "sc", "sc.toml"))
    with pytest.raises(ValueError, match="inputs: arrays are taken for crossbar MLPs"):
        sx.run(sc, inputs=np.zeros((1, sc.inputs)))
    for kwargs, needle in cases:
        with pytest.raises(ValueError) as e:
            sx.run(c, **kwargs)
        assert needle in str(e.value), (kwargs, str(e.value))
