"""The names of a figure's verdict, shared by every figure of a comparison."""

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no significant change"
NOT_JUDGED = "not judged"
