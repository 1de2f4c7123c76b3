"""Where the MuJoCo library and Gymnasium's model files of this Python's packages are, as the
environment variables `chorus` reads (`make mujoco-paths` prints them)."""
from pathlib import Path


def installed_mujoco() -> dict[str, str]:
    import gymnasium
    import mujoco

    package = Path(mujoco.__file__).parent
    libraries = sorted(package.glob("libmujoco.so*"))
    assert libraries, f"no libmujoco.so in {package}"
    models = Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets"
    return {"CHORUS_MUJOCO_LIBRARY": str(libraries[-1]), "CHORUS_MUJOCO_MODELS": str(models)}


if __name__ == "__main__":
    for name, value in installed_mujoco().items():
        print(f"export {name}={value}")
