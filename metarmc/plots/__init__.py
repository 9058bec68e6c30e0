"""Plots: forest, funnel, risk of bias, PRISMA."""
