"""Bayesian random-effects meta-analysis: (a) published bayesmeta output, (b) an independent
brute-force integration of the joint posterior on a 2-D grid, (c) input errors.

bayesmeta is not packaged in Debian, so R cannot be run here; the published values are:

* Röver C (2020), "Bayesian random-effects meta-analysis using the bayesmeta R package",
  J Stat Softw 93(6), section 3.3 "Performing a Bayesian random-effects meta-analysis": the
  Crins et al. (2014) data of its Table 3 (acute rejection after paediatric liver
  transplantation, IL-2RA vs control, log odds ratios), half-normal(0.5) prior for tau,
  normal(0, 4) prior for mu; the printed ``ma01$summary`` and, in section 3.4 "Credible
  intervals", ``ma01$post.interval(tau.level = 0.99)`` and its ``method = "central"`` variant.
* Röver C, "An introduction to meta-analysis using the bayesmeta package" (vignette of
  bayesmeta 3.4, section "A simple example"): the eight-schools data (Rubin 1981),
  half-Cauchy(25) prior for tau, normal(0, 50) prior for mu; ``print(schools.example.1$summary)``,
  ``1 - pposterior(mu = 0)``, ``qposterior(mu.p = 0.95)``, ``qposterior(tau.p = 0.95)`` and
  ``post.interval(tau.level = 0.95, method = "central")``.

Tolerances. bayesmeta integrates the tau posterior numerically to ~1e-11, so its tau numbers
(printed to 7 significant digits) are compared at 1e-6 relative. Its mu and prediction
numbers come from the DIRECT discrete-mixture approximation (Röver & Friede 2017, accuracy
parameter delta = 0.01): the two printouts of the same model in the JSS paper differ by up to
1e-4 (mu's lower limit -2.2312306 vs -2.2311251), and the brute-force grid below agrees with
metarmc to ~1e-6 while bayesmeta's printed intervals are off by up to 0.3% of the posterior
standard deviation. They are therefore compared within 0.5% of the posterior SD.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import cumulative_trapezoid, trapezoid
from scipy.stats import norm

from metarmc import meta_binary
from metarmc.bayes import bayes_meta

#: Röver (2020) JSS, Table 3: IL-2RA (t) vs control (c), acute rejection events.
CRINS2014 = pd.DataFrame({
    "study": ["Heffron 2003", "Gibelli 2004", "Schuller 2005", "Ganschow 2005", "Spada 2006", "Gras 2008"],
    "events_t": [14, 16, 3, 9, 4, 0], "total_t": [61, 28, 18, 54, 36, 50],
    "events_c": [15, 19, 8, 29, 11, 3], "total_c": [20, 28, 12, 54, 36, 34]})
#: Rubin (1981) eight schools, as bayesmeta's Rubin1981: effect and standard error.
SCHOOLS_Y = np.array([28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16])
SCHOOLS_SE = np.array([14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6])


def crins():
    # escalc(measure = "OR") adds 0.5 to every cell of Gras 2008 (a zero cell): RevMan's rule
    return meta_binary(CRINS2014, method="IV").study_effects()


@pytest.fixture(scope="module")
def crins_fit():
    yi, vi = crins()
    return bayes_meta(yi, vi, tau_prior="half-normal", tau_scale=0.5, mu_prior=(0, 4))


@pytest.fixture(scope="module")
def schools_fit():
    return bayes_meta(SCHOOLS_Y, SCHOOLS_SE**2, tau_prior="half-Cauchy", tau_scale=25, mu_prior=(0, 50))


def published(fit, row, column, value, sd=None):
    got = fit.summary.loc[row, column]
    if sd is None:
        assert got == pytest.approx(value, rel=1e-6, abs=5e-8), (row, column)
    else:
        assert abs(got - value) <= 5e-3 * sd, (row, column, got, value)


def test_roever2020_jss_section_3_3_crins(crins_fit):
    yi, vi = crins()
    # Table 3 prints yi and sigma_i to two decimals
    np.testing.assert_allclose(yi, [-2.31, -0.46, -2.30, -1.76, -1.26, -2.42], atol=0.005)
    np.testing.assert_allclose(np.sqrt(vi), [0.60, 0.56, 0.88, 0.46, 0.64, 1.53], atol=0.005)
    # ma01$summary, column tau
    for column, value in (("median", 0.3445023), ("mean", 0.3810562), ("sd", 0.2593672), ("ci_low", 0.0),
                          ("ci_high", 0.8607193)):
        published(crins_fit, "tau", column, value)
    # ma01$summary, columns mu and theta (the prediction)
    for row, values, sd in (("mu", (-1.5734819, -1.5764365, 0.3295301, -2.2311251, -0.9263075), 0.33),
                            ("prediction", (-1.5701653, -1.5764365, 0.5671855, -2.7661319, -0.4072970), 0.57)):
        for column, value in zip(("median", "mean", "sd", "ci_low", "ci_high"), values):
            published(crins_fit, row, column, value, sd)
    # the log-OR and its 95% interval quoted in the text: -1.57 [-2.23, -0.93]
    assert crins_fit.summary.loc["mu", ["median", "ci_low", "ci_high"]].round(2).tolist() == [-1.57, -2.23, -0.93]


def test_roever2020_jss_section_3_4_tau_intervals(crins_fit):
    assert crins_fit.credible_interval("tau", 0.99) == pytest.approx((0.0, 1.109186), rel=1e-6)
    assert crins_fit.credible_interval("tau", 0.99, "central") == pytest.approx((0.003547657, 1.205400562), rel=1e-6)
    assert crins_fit.quantile("tau", 0.005) == pytest.approx(0.003547657, rel=1e-6)


def test_bayesmeta_vignette_eight_schools(schools_fit):
    for column, value in (("median", 4.758539), ("mean", 5.884511), ("sd", 4.869904), ("ci_low", 0.0),
                          ("ci_high", 15.165894)):
        published(schools_fit, "tau", column, value)
    for row, values, sd in (("mu", (7.962961, 7.985729, 4.995762, -1.823353, 17.824562), 5.0),
                            ("prediction", (7.926819, 7.985729, 9.126767, -10.623526, 26.827377), 9.1)):
        for column, value in zip(("median", "mean", "sd", "ci_low", "ci_high"), values):
            published(schools_fit, row, column, value, sd)
    assert schools_fit.quantile("tau", 0.95) == pytest.approx(15.16589, rel=1e-6)
    assert schools_fit.credible_interval("tau", kind="central") == pytest.approx((0.2199559, 18.0531718), rel=1e-6)
    # a shift of 0.5% of the SD in mu moves P(mu > 0) by about density(0) times that shift
    tolerance = 5e-3 * 5.0 * float(schools_fit.density("mu", 0.0))
    assert 1 - schools_fit.cdf("mu", 0.0) == pytest.approx(0.9487521, abs=tolerance)
    assert abs(schools_fit.quantile("mu", 0.95) - 16.11009) <= 5e-3 * 5.0


# --- (b) brute force: the joint posterior on a 2-D grid, marginalised by the trapezoid rule -----

def grid_posterior(yi, vi, tau_prior, scale, mu_prior, tau_max, mu_range, n=(2001, 2001)):
    """Marginal posteriors of tau and mu from p(mu, tau | y) on a grid (no conditional normal used)."""
    tau, mu = np.linspace(0, tau_max, n[0]), np.linspace(*mu_range, n[1])
    t, m = np.meshgrid(tau, mu, indexing="ij")
    log = -0.5 * (t / scale) ** 2 if tau_prior == "half-normal" else -np.log1p((t / scale) ** 2)
    if mu_prior is not None:
        log = log + norm.logpdf(m, *mu_prior)
    for y, v in zip(yi, vi):
        log = log + norm.logpdf(y, m, np.sqrt(v + t**2))
    joint = np.exp(log - log.max())
    return (tau, trapezoid(joint, mu, axis=1)), (mu, trapezoid(joint, tau, axis=0))


def grid_summary(x, density):
    density = density / trapezoid(density, x)
    mean = trapezoid(x * density, x)
    cdf = cumulative_trapezoid(density, x, initial=0)
    quantile = lambda p: float(np.interp(p, cdf, x))  # noqa: E731
    return {"mean": mean, "sd": math.sqrt(trapezoid((x - mean) ** 2 * density, x)), "median": quantile(0.5),
            "ci_low": quantile(0.025), "ci_high": quantile(0.975)}


@pytest.mark.parametrize("name, data, prior, tau_max, mu_range", [
    ("crins, half-normal(0.5), normal(0, 4)", crins, ("half-normal", 0.5, (0, 4)), 4.0, (-5.0, 2.0)),
    ("crins, half-Cauchy(1), flat mu", crins, ("half-Cauchy", 1.0, None), 25.0, (-9.0, 6.0)),
    ("schools, half-normal(10), flat mu", lambda: (SCHOOLS_Y, SCHOOLS_SE**2), ("half-normal", 10.0, None), 60.0,
     (-40.0, 60.0)),
])
def test_matches_a_brute_force_grid_integration(name, data, prior, tau_max, mu_range):
    yi, vi = data()
    fit = bayes_meta(yi, vi, tau_prior=prior[0], tau_scale=prior[1], mu_prior=prior[2], interval="central")
    # the grid's trapezoid error is O(h^2), and the half-Cauchy run truncates a tau^-7 tail at 25:
    # 1e-3 of the posterior SD is what the grid can resolve
    for parameter, (x, density) in zip(("tau", "mu"), grid_posterior(yi, vi, *prior, tau_max, mu_range)):
        expected = grid_summary(x, density)
        sd = fit.summary.loc[parameter, "sd"]
        for column, value in expected.items():
            assert abs(fit.summary.loc[parameter, column] - value) <= 1e-3 * sd, (name, parameter, column)


def test_densities_integrate_to_one_and_intervals_have_their_level(schools_fit):
    for parameter in ("tau", "mu", "prediction"):
        low, high = schools_fit.credible_interval(parameter)
        assert schools_fit.cdf(parameter, high) - schools_fit.cdf(parameter, low) == pytest.approx(0.95, abs=1e-10)
        if low > 0:  # shortest: equal density at both ends
            assert schools_fit.density(parameter, low) == pytest.approx(schools_fit.density(parameter, high), rel=1e-6)
        x = np.linspace(schools_fit.quantile(parameter, 1e-7), schools_fit.quantile(parameter, 1 - 1e-7), 20001)
        assert trapezoid(schools_fit.density(parameter, x), x) == pytest.approx(1.0, abs=1e-6)


def test_prediction_is_wider_than_the_mean_and_normal_prior_shrinks(crins_fit):
    summary = crins_fit.summary
    assert summary.loc["prediction", "sd"] ** 2 == pytest.approx(
        summary.loc["mu", "sd"] ** 2 + summary.loc["tau", "sd"] ** 2 + summary.loc["tau", "mean"] ** 2, rel=1e-10)
    yi, vi = crins()
    tight = bayes_meta(yi, vi, mu_prior=(0, 0.1))
    assert abs(tight.summary.loc["mu", "mean"]) < abs(summary.loc["mu", "mean"])


def test_infinite_moments_of_a_heavy_tailed_posterior_are_inf():
    fit = bayes_meta(SCHOOLS_Y[:2], SCHOOLS_SE[:2] ** 2, tau_prior="half-Cauchy", tau_scale=1.0)
    # flat mu prior, k = 2: p(tau | y) ~ tau^-3, so E tau is finite and Var tau is not
    assert math.isfinite(fit.summary.loc["tau", "mean"]) and fit.summary.loc["tau", "sd"] == math.inf
    assert fit.summary.loc["mu", "sd"] == math.inf


def test_frame_and_repr(crins_fit):
    frame = crins_fit.to_frame()
    assert frame["parameter"].tolist() == ["tau", "mu", "prediction"]
    assert set(frame.columns) >= {"mean", "median", "sd", "ci_low", "ci_high", "level", "interval"}
    assert "half-normal(0.5)" in repr(crins_fit) and "normal(0, 4)" in repr(crins_fit)


@pytest.mark.parametrize("args, options, message", [
    (([0.1, 0.2], [0.1]), {}, "same non-zero length"),
    (([0.1, 0.2], [0.1, 0.0]), {}, "study 2: vi must be a positive number"),
    (([0.1, np.nan], [0.1, 0.1]), {}, "study 2: yi must be a number"),
    (([0.1], [0.1]), {"tau_prior": "uniform"}, "tau_prior must be one of half-normal, half-Cauchy"),
    (([0.1], [0.1]), {"tau_scale": 0}, "tau_scale must be a positive number"),
    (([0.1], [0.1]), {"mu_prior": (0, -1)}, "positive sd"),
    (([0.1], [0.1]), {"mu_prior": 4}, "mu_prior must be None (flat) or (mean, sd)"),
    (([0.1], [0.1]), {"level": 95}, "level must be between 0 and 1"),
    (([0.1], [0.1]), {"interval": "hpd"}, "interval must be one of shortest, central"),
])
def test_input_errors(args, options, message):
    with pytest.raises(ValueError) as error:
        bayes_meta(*args, **options)
    assert message in str(error.value)


def test_query_errors(crins_fit):
    with pytest.raises(ValueError, match="parameter must be one of tau, mu, prediction"):
        crins_fit.quantile("theta", 0.5)
    with pytest.raises(ValueError, match="a probability between 0 and 1"):
        crins_fit.quantile("mu", 1.5)


# --- priors and the posterior plot ------------------------------------------------------------

@pytest.mark.parametrize("prior", ["half-normal", "half-Cauchy"])
def test_tau_prior_density_is_a_normalised_density_on_the_positive_half_line(prior):
    from metarmc.bayes import tau_prior_density

    # half-normal(0.5) at 0: 2 / (0.5 sqrt(2 pi)); half-Cauchy(0.5) at 0: 2 / (0.5 pi)
    at_zero = {"half-normal": 2 / (0.5 * math.sqrt(2 * math.pi)), "half-Cauchy": 2 / (0.5 * math.pi)}[prior]
    assert float(tau_prior_density(0.0, prior, 0.5)) == pytest.approx(at_zero, rel=1e-14)
    assert float(tau_prior_density(-0.1, prior, 0.5)) == 0.0
    # the mass up to the scale: erf(1/sqrt 2) = 0.6827 (half-normal), 2/pi atan(1) = 1/2 (half-Cauchy)
    x = np.linspace(0, 0.5, 200_001)
    mass = trapezoid(tau_prior_density(x, prior, 0.5), x)
    assert mass == pytest.approx({"half-normal": math.erf(1 / math.sqrt(2)), "half-Cauchy": 0.5}[prior], rel=1e-9)
    fit = bayes_meta([0.1, 0.3, -0.2], [0.04, 0.09, 0.05], tau_prior=prior, tau_scale=0.5)
    assert fit.prior_density(0.2) == tau_prior_density(0.2, prior, 0.5)


def test_posterior_plot_draws_each_posterior_and_each_tau_prior():
    import matplotlib
    matplotlib.use("Agg")
    from metarmc.plots import posterior_plot

    fits = {name: bayes_meta([0.1, 0.3, -0.2], [0.04, 0.09, 0.05], tau_prior=name, tau_scale=0.5)
            for name in ("half-normal", "half-Cauchy")}
    fig = posterior_plot(fits, "tau")
    (line,) = fig.findobj(lambda a: a.get_gid() == "posterior half-normal")
    x, y = line.get_data()
    np.testing.assert_allclose(y, fits["half-normal"].density("tau", x), rtol=1e-12)
    assert len(fig.findobj(lambda a: str(a.get_gid()).startswith("prior "))) == 2
    ratio = posterior_plot(fits, "mu", ratio="OR")
    (line,) = ratio.findobj(lambda a: a.get_gid() == "posterior half-Cauchy")
    x, y = line.get_data()
    np.testing.assert_allclose(y, fits["half-Cauchy"].density("mu", np.log(x)), rtol=1e-10)  # x axis is the OR
    assert ratio.axes[0].get_xscale() == "log" and not ratio.findobj(lambda a: str(a.get_gid()).startswith("prior"))
    with pytest.raises(ValueError, match="parameter must be one of"):
        posterior_plot(fits, "sigma")
