## make_methods_reference.R -- metafor reference values for metarmc's methods beyond RevMan:
## meta-regression (rma with mods), influence diagnostics (influence, baujat), GOSH (gosh)
## and Q-profile confidence intervals for tau^2, I^2 and H^2 (confint).
##
## Run from the repository root:
##     Rscript validation/metafor/make_methods_reference.R
## Writes validation/metafor/methods_reference.json (see README.md in this folder).
##
## Every case is a block of R code (the "call" stored in the JSON), evaluated verbatim in an
## environment holding the case's input vectors; what it computes is written to "expected".
## Iterative estimators (REML, PM) and the Q-profile root search are run to 1e-12 instead of
## metafor's defaults (threshold 1e-5, uniroot tol .Machine$double.eps^0.25 ~ 1.2e-4), so the
## reference values are exact to the tolerance the Python tests use (rtol 1e-8).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(na.action = "na.pass")
PREAMBLE <- 'library(metafor); options(na.action = "na.pass")'
pdf(NULL)  # baujat() draws; nothing is kept

args_all <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args_all[grep("^--file=", args_all)])
out_dir <- if (length(script_path) == 1L) dirname(normalizePath(script_path)) else "validation/metafor"
out_file <- file.path(out_dir, "methods_reference.json")

TIGHT <- "control = list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)"
BIN <- "ai = events_t, n1i = total_t, ci = events_c, n2i = total_c"
CONT <- "m1i = mean_t, sd1i = sd_t, n1i = n_t, m2i = mean_c, sd2i = sd_c, n2i = n_c"
## RevMan's zero-cell rule (0.5 added to every cell of a study with a zero cell), as in make_reference.R
ES_BIN <- function(measure) sprintf(
  'es <- escalc(measure = "%s", %s, add = 1/2, to = "only0", drop00 = TRUE)', measure, BIN)
ES_CONT <- function(measure) sprintf('es <- escalc(measure = "%s", %s)', measure, CONT)
RMA <- function(method, test = "z", mods = NULL, data = "es") sprintf(
  'res <- rma(yi, vi, %sdata = %s, method = "%s", test = "%s", %s)',
  if (is.null(mods)) "" else paste0("mods = ~ ", paste(mods, collapse = " + "), ", "),
  data, method, test, TIGHT)

CASES <- list()
run_code <- function(code, input) {
  env <- new.env(parent = globalenv())
  for (nm in names(input)) assign(nm, input[[nm]], envir = env)
  eval(parse(text = code), envir = env)
  env
}
num <- function(x) as.numeric(x)
add_case <- function(id, dataset, kind, input, options, code, extract, note = NULL) {
  env <- run_code(code, input)
  case <- list(id = id, dataset = dataset, kind = kind, call = paste(PREAMBLE, code, sep = "\n"),
               input = lapply(input, I), options = options)
  if (!is.null(note)) case$note <- note
  case$expected <- extract(env)
  CASES[[length(CASES) + 1L]] <<- case
  invisible(env)
}

bin_input <- function(study, et, nt, ec, nc)
  list(study = as.character(study), events_t = num(et), total_t = num(nt),
       events_c = num(ec), total_c = num(nc))
cont_input <- function(study, mt, st, nt, mc, sc, nc)
  list(study = as.character(study), mean_t = num(mt), sd_t = num(st), n_t = num(nt),
       mean_c = num(mc), sd_c = num(sc), n_c = num(nc))
es_code <- function(kind, measure) if (kind == "binary") ES_BIN(measure) else ES_CONT(measure)

## ---------------------------------------------------------------------------
## what is recorded
## ---------------------------------------------------------------------------
fit_summary <- function(res) list(
  k = res$k, p = res$p, tau2 = res$tau2, i2 = res$I2, h2 = res$H2,
  r2 = if (is.null(res$R2)) NA else res$R2, qe = res$QE, qe_df = res$k - res$p, qe_p = res$QEp,
  qm = res$QM, qm_df = res$QMdf[1], qm_p = res$QMp,
  terms = I(rownames(res$beta)), estimate = I(num(res$beta)), se = I(num(res$se)),
  statistic = I(num(res$zval)), pval = I(num(res$pval)), ci_low = I(num(res$ci.lb)), ci_high = I(num(res$ci.ub)))

influence_summary <- function(env) {
  inf <- env$inf$inf
  list(rstudent = I(num(inf$rstudent)), dffits = I(num(inf$dffits)), cook_d = I(num(inf$cook.d)),
       cov_r = I(num(inf$cov.r)), tau2_del = I(num(inf$tau2.del)), qe_del = I(num(inf$QE.del)),
       hat = I(num(inf$hat)), weight = I(num(inf$weight)),
       baujat_x = I(num(env$bj$x)), baujat_y = I(num(env$bj$y)))
}

gosh_summary <- function(env) {
  res <- env$sav$res
  ## incl: one row per subset, one column per study (TRUE = included), coded as
  ## sum(2^(j - 1)) over the included studies j = 1..k
  code <- as.vector(env$sav$incl %*% 2^(seq_len(ncol(env$sav$incl)) - 1))
  list(n_subsets = nrow(res), subset = I(code), k = I(num(res$k)), q = I(num(res$QE)),
       i2 = I(num(res$I2)), h2 = I(num(res$H2)), tau2 = I(num(res$tau2)), estimate = I(num(res$estimate)))
}

confint_summary <- function(env) {
  r <- env$ci$random
  list(level = env$level, estimate = I(num(r[, "estimate"])), ci_low = I(num(r[, "ci.lb"])),
       ci_high = I(num(r[, "ci.ub"])), rows = I(c("tau2", "tau", "i2", "h2")), vt = env$res$vt)
}

## ---------------------------------------------------------------------------
## data
## ---------------------------------------------------------------------------
bcg <- dat.bcg
bcg_in <- with(bcg, bin_input(paste(author, year), tpos, tpos + tneg, cpos, cpos + cneg))
bcg_es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
bcg_or <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
reg_input <- function(es) list(study = paste(bcg$author, bcg$year), yi = num(es$yi), vi = num(es$vi),
                               ablat = num(bcg$ablat), year = num(bcg$year), alloc = as.character(bcg$alloc))
DS_BCG_RR <- "dat.bcg, log risk ratio: escalc(measure = \"RR\", ai = tpos, bi = tneg, ci = cpos, di = cneg)"
DS_BCG_OR <- "dat.bcg, log odds ratio: escalc(measure = \"OR\", ai = tpos, bi = tneg, ci = cpos, di = cneg)"

nor <- dat.normand1999
nor_in <- with(nor, cont_input(source, m1i, sd1i, n1i, m2i, sd2i, n2i))
col <- dat.collins1985b
col_in <- with(col, bin_input(paste(author, year), pre.xti, pre.nti, pre.xci, pre.nci))
col_reg <- local({
  es <- escalc(measure = "OR", ai = pre.xti, n1i = pre.nti, ci = pre.xci, n2i = pre.nci, data = col)
  list(study = paste(col$author, col$year), yi = num(es$yi), vi = num(es$vi), year = num(col$year))
})
fl_in <- bin_input(c("MRC-1", "CDP", "MRC-2", "GASP", "PARIS", "AMIS", "ISIS-2"),
                   c(49, 44, 102, 32, 85, 246, 1570), c(615, 758, 832, 317, 810, 2267, 8587),
                   c(67, 64, 126, 38, 52, 219, 1720), c(624, 771, 850, 309, 406, 2257, 8600))
hom_in <- cont_input(c("H1", "H2", "H3", "H4", "H5"),
                     c(10.2, 11.0, 9.8, 10.5, 10.9), c(2.1, 2.4, 1.9, 2.2, 2.5), c(40, 55, 32, 60, 45),
                     c(11.1, 11.8, 10.9, 11.4, 11.7), c(2.0, 2.3, 2.1, 2.4, 2.2), c(42, 50, 30, 58, 47))
subset_input <- function(input, rows) lapply(input, function(v) v[rows])

## ---------------------------------------------------------------------------
## meta-regression: rma(yi, vi, mods = ~ ..., method, test)
## ---------------------------------------------------------------------------
reg_case <- function(id, dataset, input, mods, method, test = "z", note = NULL) {
  code <- paste(sprintf("dat <- data.frame(%s)", paste(names(input), collapse = ", ")),
                RMA(method, test, if (length(mods)) mods else NULL, data = "dat"), sep = "\n")
  add_case(id, dataset, "regression", input,
           list(mods = I(mods), tau2 = method, hksj = test == "knha"), code,
           function(env) fit_summary(env$res), note)
}
reg_case("bcg_RR_ablat_REML", DS_BCG_RR, reg_input(bcg_es), "ablat", "REML")
reg_case("bcg_RR_ablat_REML_knha", DS_BCG_RR, reg_input(bcg_es), "ablat", "REML", "knha")
reg_case("bcg_RR_ablat_DL", DS_BCG_RR, reg_input(bcg_es), "ablat", "DL")
reg_case("bcg_RR_ablat_PM_knha", DS_BCG_RR, reg_input(bcg_es), "ablat", "PM", "knha")
reg_case("bcg_RR_ablat_FE", DS_BCG_RR, reg_input(bcg_es), "ablat", "FE",
         note = "Fixed-effect meta-regression: R2 is metafor's adjusted R^2 of the weighted regression.")
reg_case("bcg_RR_alloc_REML", DS_BCG_RR, reg_input(bcg_es), "alloc", "REML",
         note = "Categorical moderator: factor levels alternate (reference), random, systematic.")
reg_case("bcg_RR_alloc_FE", DS_BCG_RR, reg_input(bcg_es), "alloc", "FE",
         note = "Under the fixed-effect model QM is the test for subgroup differences by alloc.")
reg_case("bcg_RR_ablat_year_REML_knha", DS_BCG_RR, reg_input(bcg_es), c("ablat", "year"), "REML", "knha")
reg_case("bcg_RR_ablat_alloc_DL_knha", DS_BCG_RR, reg_input(bcg_es), c("ablat", "alloc"), "DL", "knha")
reg_case("bcg_RR_ablat_year_alloc_PM", DS_BCG_RR, reg_input(bcg_es), c("ablat", "year", "alloc"), "PM")
reg_case("bcg_RR_intercept_REML", DS_BCG_RR, reg_input(bcg_es), character(0), "REML",
         note = "No moderator: QM tests the intercept (metafor's btt = 1); R2 is not defined (null).")
reg_case("bcg_OR_year_REML", DS_BCG_OR, reg_input(bcg_or), "year", "REML")
reg_case("collins_OR_year_REML_knha",
         "dat.collins1985b, pre-eclampsia log OR: escalc(measure = \"OR\", ai = pre.xti, n1i = pre.nti, ci = pre.xci, n2i = pre.nci)",
         col_reg, "year", "REML", "knha")
reg_case("local_maximum_intercept_REML",
         "five effects (log ratios) whose REML likelihood has an inner local maximum, tau2 about 0.184, below its value at tau2 = 0; found by the property test of tests/test_regression.py",
         list(study = paste0("S", 1:5), yi = c(0, 0, 0.0599, -0.8223, -1.6673), vi = c(0.375, 0.01, 0.01, 1.0, 0.375)),
         character(0), "REML",
         note = "metafor warns 'Fisher scoring algorithm may have gotten stuck at a local maximum. Setting tau^2 = 0.' and returns tau2 = 0.")

## ---------------------------------------------------------------------------
## influence diagnostics and Baujat plot coordinates: influence(res), baujat(res)
## ---------------------------------------------------------------------------
inf_case <- function(id, dataset, kind, input, measure, method, test = "z") {
  code <- paste(es_code(kind, measure), RMA(method, test),
                "inf <- influence(res)", "bj <- baujat(res)", sep = "\n")
  add_case(id, dataset, "influence", input,
           list(data = kind, measure = measure, method = "IV", model = if (method == "FE") "fixed" else "random",
                tau2 = if (method == "FE") NA else method, hksj = test == "knha"),
           code, influence_summary)
}
inf_case("bcg_RR_IV_fixed", "dat.bcg", "binary", bcg_in, "RR", "FE")
inf_case("bcg_RR_IV_random_REML", "dat.bcg", "binary", bcg_in, "RR", "REML")
inf_case("bcg_RR_IV_random_DL_knha", "dat.bcg", "binary", bcg_in, "RR", "DL", "knha")
inf_case("normand_MD_IV_random_PM", "dat.normand1999", "continuous", nor_in, "MD", "PM")
inf_case("collins_OR_IV_fixed", "dat.collins1985b (pre-eclampsia)", "binary", col_in, "OR", "FE")
inf_case("fleiss1993_OR_IV_random_DL", "Fleiss 1993 aspirin trials", "binary", fl_in, "OR", "DL")
add_case("bcg_RR_reg_ablat_REML", DS_BCG_RR, "influence_regression", reg_input(bcg_es),
         list(mods = I("ablat"), tau2 = "REML", hksj = FALSE),
         paste("dat <- data.frame(study, yi, vi, ablat, year, alloc)",
               RMA("REML", mods = "ablat", data = "dat"), "inf <- influence(res)", "bj <- baujat(res)", sep = "\n"),
         influence_summary)

## ---------------------------------------------------------------------------
## GOSH: every subset (k <= 9, so gosh() enumerates all 2^k - 1 of them)
## ---------------------------------------------------------------------------
gosh_case <- function(id, dataset, kind, input, measure, method) {
  code <- paste(es_code(kind, measure), RMA(method), "sav <- gosh(res, progbar = FALSE)", sep = "\n")
  add_case(id, dataset, "gosh", input,
           list(data = kind, measure = measure, method = "IV", model = if (method == "FE") "fixed" else "random",
                tau2 = if (method == "FE") NA else method), code, gosh_summary)
}
gosh_case("fleiss1993_OR_IV_fixed", "Fleiss 1993 aspirin trials", "binary", fl_in, "OR", "FE")
gosh_case("bcg8_RR_IV_random_DL", "dat.bcg, trials 1-8", "binary", subset_input(bcg_in, 1:8), "RR", "DL")
gosh_case("normand_MD_IV_random_REML", "dat.normand1999", "continuous", nor_in, "MD", "REML")
gosh_case("collins_OR_IV_random_PM", "dat.collins1985b (pre-eclampsia)", "binary", col_in, "OR", "PM")

## ---------------------------------------------------------------------------
## Q-profile confidence intervals: confint(res) (type = "QP", the default for rma.uni)
## ---------------------------------------------------------------------------
ci_case <- function(id, dataset, kind, input, measure, method, level = 0.95, note = NULL) {
  code <- paste(es_code(kind, measure), RMA(method), sprintf("level <- %s", level),
                "ci <- confint(res, level = level, control = list(tol = 1e-12))", sep = "\n")
  add_case(id, dataset, "confint", input,
           list(data = kind, measure = measure, method = "IV", model = "random", tau2 = method, level = level),
           code, confint_summary, note)
}
ci_case("bcg_RR_IV_random_REML", "dat.bcg", "binary", bcg_in, "RR", "REML")
ci_case("bcg_RR_IV_random_DL", "dat.bcg", "binary", bcg_in, "RR", "DL",
        note = "The interval does not depend on the tau2 estimator; the estimate column does.")
ci_case("bcg_RR_IV_random_REML_90", "dat.bcg", "binary", bcg_in, "RR", "REML", level = 0.90)
ci_case("normand_MD_IV_random_REML", "dat.normand1999", "continuous", nor_in, "MD", "REML")
ci_case("collins_OR_IV_random_REML", "dat.collins1985b (pre-eclampsia)", "binary", col_in, "OR", "REML")
ci_case("fleiss1993_OR_IV_random_REML", "Fleiss 1993 aspirin trials", "binary", fl_in, "OR", "REML")
ci_case("homog_MD_IV_random_REML", "constructed homogeneous data (Q < df)", "continuous", hom_in, "MD", "REML",
        note = "Q(0) is below the lower critical value: the interval is {0} (metafor's ci.null).")
add_case("bcg_RR_reg_ablat_REML", DS_BCG_RR, "confint_regression", reg_input(bcg_es),
         list(mods = I("ablat"), tau2 = "REML", level = 0.95),
         paste("dat <- data.frame(study, yi, vi, ablat, year, alloc)", RMA("REML", mods = "ablat", data = "dat"),
               "level <- 0.95", "ci <- confint(res, level = level, control = list(tol = 1e-12))", sep = "\n"),
         confint_summary)

## ---------------------------------------------------------------------------
## self-checks (stop on failure, recorded in the JSON)
## ---------------------------------------------------------------------------
checks <- list()
chk <- function(name, a, b, tol = 1e-10) {
  d <- max(abs(as.numeric(a) - as.numeric(b)), na.rm = TRUE)
  checks[[length(checks) + 1L]] <<- list(check = name, max_abs_diff = d)
  if (!(d <= tol)) stop(sprintf("check failed: %s (diff %g)", name, d))
}
find_case <- function(id, kind) CASES[[which(vapply(CASES, function(c) c$id == id && c$kind == kind, TRUE))]]
## 1. fixed-effect QM with a categorical moderator = Q between subgroups = Q_total - sum(Q_within)
local({
  e <- find_case("bcg_RR_alloc_FE", "regression")$expected
  q_within <- sum(sapply(split(seq_along(bcg_es$yi), bcg$alloc), function(i)
    rma(bcg_es$yi[i], bcg_es$vi[i], method = "FE")$QE))
  chk("FE QM(alloc) = QE(no moderators) - sum of within-subgroup Q",
      e$qm, rma(yi, vi, data = bcg_es, method = "FE")$QE - q_within)
})
## 2. the hat values of an intercept-only fixed-effect fit are its weights, and sum to 1
local({
  e <- find_case("bcg_RR_IV_fixed", "influence")$expected
  chk("FE influence: hat = weight / 100", e$hat, e$weight / 100)
  chk("FE influence: sum(hat) = 1", sum(e$hat), 1)
})
## 3. the GOSH row of the full set is the full analysis
local({
  cs <- find_case("normand_MD_IV_random_REML", "gosh"); e <- cs$expected
  full <- which(e$k == length(cs$input$study))
  env <- run_code(paste(ES_CONT("MD"), RMA("REML"), sep = "\n"), cs$input)
  chk("GOSH full set = rma(REML) estimate, tau2, QE, I2",
      c(e$estimate[full], e$tau2[full], e$q[full], e$i2[full]),
      c(env$res$beta, env$res$tau2, env$res$QE, env$res$I2))
})
## 4. Q-profile bounds solve Q(tau2) = chi2 quantiles (generalised Q with weights 1/(vi + tau2))
local({
  cs <- find_case("bcg_RR_IV_random_REML", "confint"); e <- cs$expected
  env <- run_code(paste(ES_BIN("RR"), RMA("REML"), sep = "\n"), cs$input)
  qgen <- function(t2) { w <- 1/(env$es$vi + t2); mu <- sum(w * env$es$yi)/sum(w); sum(w * (env$es$yi - mu)^2) }
  k <- length(env$es$yi)
  chk("Q-profile lower bound: Q = qchisq(0.975, k - 1)", qgen(e$ci_low[1]), qchisq(0.975, k - 1), 1e-8)
  chk("Q-profile upper bound: Q = qchisq(0.025, k - 1)", qgen(e$ci_high[1]), qchisq(0.025, k - 1), 1e-8)
})

## ---------------------------------------------------------------------------
out <- list(
  r_version = R.version$version.string,
  metafor_version = as.character(packageVersion("metafor")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  generated = format(Sys.Date(), "%Y-%m-%d"),
  preamble = PREAMBLE,
  notes = I(c(
    "kind regression: input holds yi, vi and the moderators; expected holds rma()'s coefficients (terms in R's naming) and model statistics.",
    "kind influence / influence_regression: influence(res)$inf columns and baujat(res) x, y, one entry per study in input order.",
    "kind gosh: one entry per subset in gosh()'s order; subset codes the included studies as sum(2^(j - 1)).",
    "kind confint / confint_regression: rows tau2, tau, i2, h2 of confint(res)$random; vt is metafor's typical within-study variance.",
    "I2 and H2 are metafor's: tau2-based with vt = (k - p)/tr(P) for random effects, Q-based for FE.",
    "Numbers are written with jsonlite::toJSON(digits = NA), i.e. 15 significant digits.")),
  checks = checks,
  cases = CASES)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), out_file)
cat(sprintf("wrote %s: %d cases, %d checks passed\n", out_file, length(CASES), length(checks)))
