"""The command centre (驾驶舱): the big screen of a county or the city."""
