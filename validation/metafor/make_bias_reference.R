## Reference values for metarmc.bias from R's metafor: Egger's test and trim-and-fill on
## effect sizes (cases of kind "effects"), and, for odds ratios from 2x2 counts (kind "counts"),
## Peters' and Harbord's tests.
## Run from the repository root:  Rscript validation/metafor/make_bias_reference.R
## Writes validation/metafor/bias_reference.json (each case with its exact R call).
##
## metafor 3.8 has no function named for Peters' or Harbord's test; both are regtest() calls:
## * Peters et al. (2006): weighted least squares of ln OR on 1/N with weights S F / N
##   (S events, F non-events, N participants of the study), multiplicative dispersion, t test of
##   the slope on k - 2 df.  regtest(model = "lm") weights by 1/vi, so Peters' weights are passed
##   as vi = 1/S + 1/F (= N / (S F)).  metafor's own default regtest(res, predictor = "ninv") is
##   another test (model = "rma": a REML mixed-effects meta-regression on 1/N with weights
##   1/(vi + tau2) and a z test), and model = "lm" with the usual vi weights by 1/vi, not S F / N;
##   both are recorded under `variants` for comparison only.
## * Harbord et al. (2006): regress Z/sqrt(V) on sqrt(V), Z = O - E and V Peto's hypergeometric
##   variance. That is Egger's regression (regtest(model = "lm"), predictor sei) applied to the
##   Peto log odds ratio Z/V with variance 1/V, which escalc(measure = "PETO", add = 0) returns.
suppressMessages({library(metafor); library(jsonlite)})

cases <- list()
add_case <- function(id, dataset, yi, vi, call_text, options = NULL) {
  env <- new.env(); env$yi <- yi; env$vi <- vi
  eval(parse(text = call_text), envir = env)
  cases[[length(cases) + 1]] <<- c(list(
    id = id, dataset = dataset, kind = "effects", call = call_text,
    input = list(yi = as.numeric(yi), vi = as.numeric(vi))), if (!is.null(options)) list(options = options), list(
    expected = list(
      egger_intercept = unname(coef(summary(env$eg$fit))["Xsei", "Estimate"]),
      egger_se = unname(coef(summary(env$eg$fit))["Xsei", "Std. Error"]),
      egger_t = unname(env$eg$zval), egger_df = env$eg$dfs, egger_p = unname(env$eg$pval),
      trimfill_k0 = env$tf$k0, trimfill_side = env$tf$side,
      trimfill_estimate = as.numeric(env$tf$beta), trimfill_se = env$tf$se,
      trimfill_ci_low = env$tf$ci.lb, trimfill_ci_high = env$tf$ci.ub,
      trimfill_tau2 = env$tf$tau2,
      filled_yi = as.numeric(env$tf$yi[env$tf$fill]), filled_vi = as.numeric(env$tf$vi[env$tf$fill]))))
}

bcg <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
nor <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
hack <- dat.hackshaw1998   # yi, vi (log OR) as published with the dataset

fe <- 'eg <- regtest(yi, vi, model = "lm"); tf <- trimfill(rma(yi, vi, method = "FE"))'
re <- 'eg <- regtest(yi, vi, model = "lm"); tf <- trimfill(rma(yi, vi, method = "DL"))'
add_case("bcg_OR_fixed", "dat.bcg (log OR)", bcg$yi, bcg$vi, fe)
add_case("bcg_OR_random_DL", "dat.bcg (log OR)", bcg$yi, bcg$vi, re)
add_case("normand_MD_fixed", "dat.normand1999 (MD)", nor$yi, nor$vi, fe)
add_case("hackshaw_OR_fixed", "dat.hackshaw1998 (log OR)", hack$yi, hack$vi, fe)
add_case("hackshaw_OR_random_DL", "dat.hackshaw1998 (log OR)", hack$yi, hack$vi, re)

## Trim-and-fill on a REML random-effects fit with the Hartung-Knapp-Sidik-Jonkman CI (test = "knha"),
## as a review's plan may specify. metafor 3.8-1's trimfill() then (a) decides the side by a REML
## meta-regression on sqrt(vi) (weights 1/(vi + tau2)), not by fixed-effect weights; (b) re-estimates
## with REML; (c) when k0 = 0 returns the fit itself, HKSJ CI included; (d) when k0 > 0 refits without
## test = "knha", i.e. a Wald z CI. Cases: hackshaw (k0 > 0), bcg (k0 = 0), collins pre-eclampsia (the
## fixed-effect and the REML slope on sqrt(vi) have opposite signs, so the side depends on the model).
## REML converged tightly (metafor's default threshold 1e-5 would limit the agreement to ~1e-5);
## trimfill() passes `...` (here control) to each rma.uni() it runs.
reml <- paste('ctrl <- list(threshold = 1e-12, maxiter = 10000)',
              'eg <- regtest(yi, vi, model = "lm")',
              'tf <- trimfill(rma(yi, vi, method = "REML", test = "knha", control = ctrl), control = ctrl)', sep = "; ")
plan_options <- list(model = "random", tau2 = "REML", hksj = TRUE)
collins <- escalc(measure = "OR", ai = pre.xti, n1i = pre.nti, ci = pre.xci, n2i = pre.nci, data = dat.collins1985b)
add_case("hackshaw_OR_random_REML_hksj", "dat.hackshaw1998 (log OR)", hack$yi, hack$vi, reml, plan_options)
add_case("bcg_OR_random_REML_hksj", "dat.bcg (log OR)", bcg$yi, bcg$vi, reml, plan_options)
collins_label <- "dat.collins1985b (pre-eclampsia: pre.xti/pre.nti vs pre.xci/pre.nci)"   # as its count case below
add_case("collins_OR_random_REML_hksj", collins_label, collins$yi, collins$vi, reml, plan_options)
add_case("collins_OR_random_DL", collins_label, collins$yi, collins$vi, re)
## Self-check of (c) and (d): with k0 = 0 trimfill() keeps the fit's knha CI; the side differs by model.
local({
  fit <- rma(bcg$yi, bcg$vi, method = "REML", test = "knha"); tf <- trimfill(fit)
  stopifnot(tf$k0 == 0, tf$test == "knha", abs(tf$ci.lb - fit$ci.lb) < 1e-12)
  side <- function(method) coef(rma(collins$yi, collins$vi, mods = sqrt(collins$vi), method = method))[2]
  stopifnot(side("FE") < 0, side("REML") > 0)
  tf <- trimfill(rma(hack$yi, hack$vi, method = "REML", test = "knha"))
  stopifnot(tf$k0 > 0, tf$test == "z")
})

## ---------------------------------------------------------------------------
## Peters' and Harbord's tests from 2x2 counts (input in metarmc's columns)
## ---------------------------------------------------------------------------
COUNT_CALL <- paste(
  'dat <- escalc(measure = "OR", ai = events_t, n1i = total_t, ci = events_c, n2i = total_c, add = 1/2, to = "only0", drop00 = TRUE)',
  'peters <- regtest(dat$yi, vi = 1 / (events_t + events_c) + 1 / (total_t - events_t + total_c - events_c), ni = total_t + total_c, model = "lm", predictor = "ninv")',
  'peto <- escalc(measure = "PETO", ai = events_t, n1i = total_t, ci = events_c, n2i = total_c, add = 0, to = "none", drop00 = TRUE)',
  'harbord <- regtest(peto$yi, peto$vi, model = "lm")', sep = "\n")
VARIANT_CALLS <- list(
  ninv_lm_inverse_variance = 'regtest(dat$yi, dat$vi, ni = total_t + total_c, model = "lm", predictor = "ninv")',
  ninv_rma_reml = 'regtest(dat$yi, dat$vi, ni = total_t + total_c, predictor = "ninv")')
slope_of <- function(test, name) {
  est <- coef(summary(test$fit))
  values <- list(bias = unname(est[2, "Estimate"]), se = unname(est[2, "Std. Error"]), t = unname(test$zval),
                 df = test$dfs, p = unname(test$pval), intercept = unname(est[1, "Estimate"]), k = nobs(test$fit))
  setNames(values, paste(name, names(values), sep = "_"))
}
add_count_case <- function(id, dataset, study, events_t, total_t, events_c, total_c) {
  env <- new.env()
  env$events_t <- events_t; env$total_t <- total_t; env$events_c <- events_c; env$total_c <- total_c
  suppressWarnings(eval(parse(text = COUNT_CALL), envir = env))   # NA studies (double zeros) are omitted
  variants <- lapply(VARIANT_CALLS, function(code) {
    fit <- suppressWarnings(eval(parse(text = code), envir = env))
    list(call = code, statistic = unname(fit$zval), p = unname(fit$pval))
  })
  cases[[length(cases) + 1]] <<- list(
    id = id, dataset = dataset, kind = "counts", call = COUNT_CALL,
    input = list(study = study, events_t = events_t, total_t = total_t, events_c = events_c, total_c = total_c),
    expected = c(slope_of(env$peters, "peters"), slope_of(env$harbord, "harbord")),
    variants = variants)
}

with(dat.bcg, add_count_case("bcg_counts", "dat.bcg (OR; t = vaccinated)", paste(author, year),
                             tpos, tpos + tneg, cpos, cpos + cneg))
with(dat.collins1985b, add_count_case("collins_counts", "dat.collins1985b (pre-eclampsia: pre.xti/pre.nti vs pre.xci/pre.nci)",
                                      paste(author, year), pre.xti, pre.nti, pre.xci, pre.nci))
with(subset(dat.yusuf1985, table == "6" & !is.na(ai)),
     add_count_case("yusuf6_counts", 'dat.yusuf1985 table "6" without Snow 1 (NA); 3 double zeros, 1 single zero',
                    paste0(trial, " (", id, ")"), ai, n1i, ci, n2i))
add_count_case("zeros_counts", "constructed (Beta 2003: 0/50 vs 0/48, double zero; Gamma 2005: 0/40 vs 5/42)",
               c("Alpha 2001", "Beta 2003", "Gamma 2005", "Delta 2008", "Epsilon 2010"),
               c(12, 0, 0, 8, 25), c(100, 50, 40, 60, 200), c(20, 0, 5, 15, 31), c(100, 48, 42, 62, 198))

## Self-check: Harbord's test as published (Z/sqrt(V) on sqrt(V), ordinary least squares) has the
## intercept and t that the Peto-effect form above gives as the slope.
local({
  e <- dat.bcg; a <- as.numeric(e$tpos); n1 <- a + e$tneg; c <- as.numeric(e$cpos); n2 <- c + e$cneg; n <- n1 + n2
  z <- a - n1 * (a + c) / n; v <- n1 * n2 * (a + c) * (n - a - c) / (n^2 * (n - 1))
  fit <- coef(summary(lm(I(z / sqrt(v)) ~ sqrt(v))))
  got <- Filter(function(case) case$id == "bcg_counts", cases)[[1]]$expected
  stopifnot(abs(fit[1, "Estimate"] - got$harbord_bias) < 1e-12, abs(fit[1, "t value"] - got$harbord_t) < 1e-10)
})

out <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
            generated = format(Sys.Date()), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "validation/metafor/bias_reference.json")
cat("wrote validation/metafor/bias_reference.json:", length(cases), "cases\n")
