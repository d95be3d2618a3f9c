import pathlib
import sys

# optable.py is a plain module beside the tests, shared by the Value and Tensor tables.
sys.path.insert(0, str(pathlib.Path(__file__).parent))
