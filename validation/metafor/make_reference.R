## make_reference.R -- external reference values for metarmc, computed with R/metafor.
##
## Run from the repository root:
##     Rscript validation/metafor/make_reference.R
## Writes validation/metafor/reference.json (see README.md in this folder).
##
## Every case is defined by a block of R code (the "call" string stored in the
## JSON).  The block is evaluated verbatim in an environment that holds the
## case's input vectors (events_t, total_t, events_c, total_c  or
## mean_t, sd_t, n_t, mean_c, sd_c, n_c) and must define the standard result
## variables est, se, ci_lb, ci_ub, zval, pval, Q, Qdf, Qp, I2, tau2, wt, yi, vi
## (and pi_lb, pi_ub for prediction cases).  est/ci/pi are on the analysis scale
## (log scale for OR/RR); they are back-transformed with exp() when written to
## "expected".  What is stored is therefore exactly what the call computes.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

## Per-study results stay aligned with the input rows: studies dropped by
## metafor (double-zero studies for OR/RR) get NA -> null.
options(na.action = "na.pass")
PREAMBLE <- 'library(metafor); options(na.action = "na.pass")'

args_all <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args_all[grep("^--file=", args_all)])
out_dir <- if (length(script_path) == 1L) dirname(normalizePath(script_path)) else "validation/metafor"
out_file <- file.path(out_dir, "reference.json")

## ---------------------------------------------------------------------------
## code templates
## ---------------------------------------------------------------------------

BIN <- "ai = events_t, n1i = total_t, ci = events_c, n2i = total_c"
CONT <- "m1i = mean_t, sd1i = sd_t, n1i = n_t, m2i = mean_c, sd2i = sd_c, n2i = n_c"

## RevMan zero-cell convention: 0.5 added to all four cells of a study with a
## zero cell, both for the per-study yi/vi and inside the M-H sums; studies
## with zero events (or zero non-events) in both arms are dropped.
ES_BIN <- function(measure) sprintf(
  'es <- escalc(measure = "%s", %s, add = 1/2, to = "only0", drop00 = TRUE)', measure, BIN)
ES_CONT <- function(measure) sprintf('es <- escalc(measure = "%s", %s)', measure, CONT)

STD_OUT <- paste(
  "est <- res$beta; se <- res$se; ci_lb <- res$ci.lb; ci_ub <- res$ci.ub",
  "zval <- res$zval; pval <- res$pval",
  sep = "\n")

tpl_mh_fixed <- function(measure) {
  if (measure == "RD") {
    paste(
      sprintf('es <- escalc(measure = "RD", %s, add = 0, to = "none", drop00 = FALSE)', BIN),
      sprintf('res <- rma.mh(measure = "RD", %s, add = c(0, 0), to = c("none", "none"), drop00 = c(FALSE, FALSE))', BIN),
      STD_OUT,
      "Q <- res$QE; Qdf <- res$k.yi - 1; Qp <- res$QEp; I2 <- res$I2; tau2 <- NA",
      "wt <- weights(res); yi <- es$yi; vi <- es$vi",
      "## RevMan 5 M-H RD variance (Greenland & Robins 1985, Deeks & Higgins), for comparison:",
      "a1 <- events_t; b1 <- total_t - events_t; c1 <- events_c; d1 <- total_c - events_c",
      "n1 <- total_t; n2 <- total_c; N <- n1 + n2",
      "se_gr <- sqrt(sum((a1*b1*n2^3 + c1*d1*n1^3)/(n1*n2*N^2)) / sum(n1*n2/N)^2)",
      "z_gr <- est/se_gr; p_gr <- 2*pnorm(-abs(z_gr))",
      "ci_lb_gr <- est - qnorm(0.975)*se_gr; ci_ub_gr <- est + qnorm(0.975)*se_gr",
      sep = "\n")
  } else {
    paste(
      ES_BIN(measure),
      sprintf('res <- rma.mh(measure = "%s", %s, add = c(1/2, 1/2), to = c("only0", "only0"), drop00 = c(TRUE, TRUE))', measure, BIN),
      STD_OUT,
      "Q <- res$QE; Qdf <- res$k.yi - 1; Qp <- res$QEp; I2 <- res$I2; tau2 <- NA",
      "wt <- weights(res); yi <- es$yi; vi <- es$vi",
      sep = "\n")
  }
}

## RevMan "M-H, random": DerSimonian-Laird tau2 from the M-H-based Q, then
## inverse-variance random-effects pooling of yi with weights 1/(vi + tau2).
tpl_mh_random <- function(measure) paste(
  ES_BIN(measure),
  sprintf('mh <- rma.mh(measure = "%s", %s, add = c(1/2, 1/2), to = c("only0", "only0"), drop00 = c(TRUE, TRUE))', measure, BIN),
  "w <- 1/es$vi",
  "C <- sum(w, na.rm = TRUE) - sum(w^2, na.rm = TRUE)/sum(w, na.rm = TRUE)",
  "tau2 <- max(0, (mh$QE - (mh$k.yi - 1))/C)",
  'res <- rma(yi, vi, data = es, method = "DL", tau2 = tau2)   # tau2 fixed at the M-H-based DL value',
  STD_OUT,
  "Q <- mh$QE; Qdf <- mh$k.yi - 1; Qp <- mh$QEp; I2 <- mh$I2",
  "wt <- weights(res); yi <- es$yi; vi <- es$vi",
  sep = "\n")

tpl_peto <- function() paste(
  sprintf('es <- escalc(measure = "PETO", %s, add = 0, to = "none", drop00 = TRUE)', BIN),
  sprintf('res <- rma.peto(%s, add = c(1/2, 0), to = c("only0", "none"), drop00 = c(TRUE, TRUE))', BIN),
  STD_OUT,
  "Q <- res$QE; Qdf <- res$k.yi - 1; Qp <- res$QEp; I2 <- res$I2; tau2 <- NA",
  "wt <- weights(res); yi <- es$yi; vi <- es$vi",
  sep = "\n")

## Inverse variance.  I2 is always RevMan's max(0, (Q - df)/Q) * 100 with the
## fixed-effect Q (for REML/PM metafor's own res$I2 is a different quantity).
## Prediction interval: Cochrane Handbook form est +/- t_{k-2} sqrt(tau2 + se^2)
## using the model's own se (the HKSJ se when test = "knha").
tpl_iv <- function(kind, measure, method, hksj = FALSE, prediction = FALSE) {
  es <- if (kind == "binary") ES_BIN(measure) else ES_CONT(measure)
  ## Iterative estimators converged to 1e-12 instead of metafor's default threshold (1e-5), so the
  ## reference values are exact to the tolerance the Python tests use.
  tight <- if (method %in% c("REML", "PM")) ", control = list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)" else ""
  ## hksj: FALSE, TRUE (test = "knha", untruncated) or "adhoc" (test = "adhoc": s2w floored at 1)
  test <- if (identical(hksj, "adhoc")) ', test = "adhoc"' else if (isTRUE(hksj)) ', test = "knha"' else ""
  fit <- sprintf('res <- rma(yi, vi, data = es, method = "%s"%s%s)', method, test, tight)
  lines <- c(es, fit, STD_OUT,
             "Q <- res$QE; Qdf <- res$k - 1; Qp <- res$QEp",
             "I2 <- if (Qdf > 0 && Q > 0) max(0, (Q - Qdf)/Q) * 100 else NA",
             if (method == "FE") "tau2 <- NA" else "tau2 <- res$tau2",
             "wt <- weights(res); yi <- es$yi; vi <- es$vi")
  if (prediction) lines <- c(lines,
             "pi_crit <- qt(0.975, df = res$k - 2)",
             "pi_lb <- as.numeric(est) - pi_crit * sqrt(res$tau2 + se^2)",
             "pi_ub <- as.numeric(est) + pi_crit * sqrt(res$tau2 + se^2)",
             '## identical to predict(res, pi.type = "riley") in metafor 3.8 (checked in this script)')
  paste(lines, collapse = "\n")
}

tpl_smd <- function() paste(
  ES_CONT("SMD"),
  "yi <- es$yi",
  "## for comparison: Hedges' g with the approximate correction J = 1 - 3/(4N - 9) used by RevMan",
  "N <- n_t + n_c; s_pool <- sqrt(((n_t - 1)*sd_t^2 + (n_c - 1)*sd_c^2)/(N - 2))",
  "yi_approxJ <- (mean_t - mean_c)/s_pool * (1 - 3/(4*N - 9))",
  sep = "\n")

## ---------------------------------------------------------------------------
## running a case
## ---------------------------------------------------------------------------

num <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)
perstudy <- function(x) I(as.numeric(x))   # I(): keep as JSON array even when k = 1

run_code <- function(code, input) {
  env <- new.env(parent = globalenv())
  for (nm in names(input)) if (nm != "study") assign(nm, input[[nm]], envir = env)
  suppressWarnings(eval(parse(text = code), envir = env))
  env
}

get0n <- function(name, env) num(get0(name, envir = env, inherits = FALSE))

extract <- function(env, ratio) {
  tr <- if (ratio) exp else identity
  Qdf <- get0n("Qdf", env)
  het_na <- is.na(Qdf) || Qdf < 1         # k = 1: heterogeneity "not applicable"
  out <- list(
    estimate = tr(get0n("est", env)),
    ci_low   = tr(get0n("ci_lb", env)),
    ci_high  = tr(get0n("ci_ub", env)),
    se       = get0n("se", env),
    z        = get0n("zval", env),
    p        = get0n("pval", env),
    q        = if (het_na) NA else get0n("Q", env),
    q_df     = Qdf,
    q_p      = if (het_na) NA else get0n("Qp", env),
    i2       = if (het_na) NA else get0n("I2", env),
    tau2     = if (het_na) NA else get0n("tau2", env))
  if (exists("pi_lb", envir = env, inherits = FALSE)) {
    out$pi_low  <- tr(get0n("pi_lb", env))
    out$pi_high <- tr(get0n("pi_ub", env))
  }
  out$yi <- perstudy(get("yi", envir = env))
  out$vi <- perstudy(get("vi", envir = env))
  out$weight <- perstudy(get("wt", envir = env))
  out
}

is_ratio <- function(measure) measure %in% c("OR", "RR")

make_template <- function(kind, o) {
  if (o$method == "MH") {
    if (o$model == "fixed") tpl_mh_fixed(o$measure) else tpl_mh_random(o$measure)
  } else if (o$method == "Peto") {
    tpl_peto()
  } else {
    meth <- if (o$model == "fixed") "FE" else o$tau2
    tpl_iv(kind, o$measure, meth, hksj = o$hksj, prediction = isTRUE(o$prediction))
  }
}

opts <- function(measure, method, model, tau2 = NA, hksj = FALSE, prediction = FALSE)
  list(measure = measure, method = method, model = model,
       tau2 = if (model == "fixed") NA else tau2, hksj = hksj, prediction = prediction)

subset_input <- function(input, idx) lapply(input, function(v) v[idx])

CASES <- list()
add_case <- function(id, dataset, kind, input, o, subgroup = NULL, leave1out = FALSE,
                     note = NULL, not_estimable = NULL) {
  code <- make_template(kind, o)
  env <- run_code(code, input)
  ratio <- is_ratio(o$measure)
  expected <- extract(env, ratio)
  call <- paste(PREAMBLE, code, sep = "\n")
  tr <- if (ratio) exp else identity

  if (o$measure == "RD" && o$method == "MH") {
    expected$revman_variance <- list(
      se = get0n("se_gr", env), ci_low = get0n("ci_lb_gr", env),
      ci_high = get0n("ci_ub_gr", env), z = get0n("z_gr", env), p = get0n("p_gr", env))
  }
  if (!isFALSE(o$hksj)) expected$t_df <- as.numeric(env$res$k - 1)

  if (leave1out) {
    l1o <- suppressWarnings(leave1out(env$res))
    expected$leave1out <- list(estimate = perstudy(tr(l1o$estimate)),
                               ci_low = perstudy(tr(l1o$ci.lb)),
                               ci_high = perstudy(tr(l1o$ci.ub)))
    call <- paste(call, "l1o <- leave1out(res)   # estimate/ci.lb/ci.ub (exp() for OR/RR)", sep = "\n")
  }

  if (!is.null(subgroup)) {
    labs <- unique(subgroup)
    sg <- list(); ests <- c(); ses <- c()
    for (lab in labs) {
      e <- run_code(code, subset_input(input, subgroup == lab))
      x <- extract(e, ratio)
      sg[[lab]] <- list(k = sum(subgroup == lab),
                        estimate = x$estimate, ci_low = x$ci_low, ci_high = x$ci_high,
                        se = x$se, z = x$z, p = x$p, q = x$q, q_df = x$q_df, q_p = x$q_p,
                        i2 = x$i2, tau2 = x$tau2)
      ests <- c(ests, get0n("est", e)); ses <- c(ses, get0n("se", e))
    }
    between <- rma(yi = ests, sei = ses, method = "FE")
    expected$subgroup_q <- between$QE
    expected$subgroup_df <- length(labs) - 1
    expected$subgroup_p <- between$QEp
    expected$subgroup_i2 <- max(0, (between$QE - (length(labs) - 1))/between$QE) * 100
    expected$subgroups <- sg
    call <- paste(call,
      "## The block above is run on all studies (overall result) and separately on the studies of",
      "## each subgroup (each subgroup with its own tau2); est_j = est (log scale for OR/RR), se_j = se",
      "## of subgroup j.  Test for subgroup differences (RevMan 5.1+):",
      'sg <- rma(yi = est_j, sei = se_j, method = "FE"); subgroup_q <- sg$QE; subgroup_df <- J - 1; subgroup_p <- sg$QEp',
      sep = "\n")
  }
  if (!is.null(not_estimable)) expected$not_estimable <- I(not_estimable)

  case <- list(id = id, dataset = dataset, kind = kind, call = call,
               input = lapply(input, function(v) I(v)))
  if (!is.null(subgroup)) case$subgroup <- I(subgroup)
  case$options <- o
  if (!is.null(note)) case$note <- note
  case$expected <- expected
  CASES[[length(CASES) + 1L]] <<- case
  invisible(env)
}

bin_input <- function(study, et, nt, ec, nc)
  list(study = as.character(study), events_t = as.numeric(et), total_t = as.numeric(nt),
       events_c = as.numeric(ec), total_c = as.numeric(nc))
cont_input <- function(study, mt, st, nt, mc, sc, nc)
  list(study = as.character(study), mean_t = as.numeric(mt), sd_t = as.numeric(st),
       n_t = as.numeric(nt), mean_c = as.numeric(mc), sd_c = as.numeric(sc), n_c = as.numeric(nc))

## ---------------------------------------------------------------------------
## dat.bcg
## ---------------------------------------------------------------------------
bcg <- dat.bcg
bcg_in <- with(bcg, bin_input(paste(author, year), tpos, tpos + tneg, cpos, cpos + cneg))
bcg_alloc <- as.character(bcg$alloc)
DS_BCG <- "dat.bcg"

add_case("bcg_OR_MH_fixed", DS_BCG, "binary", bcg_in, opts("OR", "MH", "fixed"), leave1out = TRUE)
add_case("bcg_OR_MH_random", DS_BCG, "binary", bcg_in, opts("OR", "MH", "random", "DL"))
add_case("bcg_RR_MH_fixed", DS_BCG, "binary", bcg_in, opts("RR", "MH", "fixed"))
add_case("bcg_RR_MH_random", DS_BCG, "binary", bcg_in, opts("RR", "MH", "random", "DL"))
add_case("bcg_RD_MH_fixed", DS_BCG, "binary", bcg_in, opts("RD", "MH", "fixed"),
         note = paste("metafor's rma.mh RD variance is the Sato, Greenland & Robins (1989) estimator, not the",
                      "Greenland & Robins (1985) one used by RevMan 5; expected$se/ci/z/p are metafor's,",
                      "expected$revman_variance holds se/ci/z/p recomputed with the RevMan formula.",
                      "Estimate, Q, I2, yi, vi and weights are the same under both conventions.",
                      "No zero cells in dat.bcg, so no continuity correction is involved."))
add_case("bcg_OR_IV_fixed", DS_BCG, "binary", bcg_in, opts("OR", "IV", "fixed"))
add_case("bcg_OR_IV_random_DL", DS_BCG, "binary", bcg_in, opts("OR", "IV", "random", "DL"), leave1out = TRUE)
add_case("bcg_OR_IV_random_REML", DS_BCG, "binary", bcg_in, opts("OR", "IV", "random", "REML"))
add_case("bcg_OR_IV_random_PM", DS_BCG, "binary", bcg_in, opts("OR", "IV", "random", "PM"))
add_case("bcg_RR_IV_random_DL", DS_BCG, "binary", bcg_in, opts("RR", "IV", "random", "DL"))
add_case("bcg_RR_IV_random_DL_hksj", DS_BCG, "binary", bcg_in, opts("RR", "IV", "random", "DL", hksj = TRUE))
add_case("bcg_RR_IV_random_DL_pred", DS_BCG, "binary", bcg_in, opts("RR", "IV", "random", "DL", prediction = TRUE))
add_case("bcg_RR_IV_random_DL_hksj_pred", DS_BCG, "binary", bcg_in,
         opts("RR", "IV", "random", "DL", hksj = TRUE, prediction = TRUE),
         note = "Prediction interval uses the HKSJ-scaled se of the pooled estimate.")
add_case("bcg_OR_Peto", DS_BCG, "binary", bcg_in, opts("OR", "Peto", "fixed"))
add_case("bcg_OR_MH_fixed_subgroup_alloc", DS_BCG, "binary", bcg_in, opts("OR", "MH", "fixed"), subgroup = bcg_alloc)
add_case("bcg_OR_IV_random_DL_subgroup_alloc", DS_BCG, "binary", bcg_in, opts("OR", "IV", "random", "DL"), subgroup = bcg_alloc)
add_case("bcg_RR_MH_random_subgroup_alloc", DS_BCG, "binary", bcg_in, opts("RR", "MH", "random", "DL"), subgroup = bcg_alloc)

## ---------------------------------------------------------------------------
## dat.yusuf1985, table "6": 21 rows; "Snow 1" has no data (NA) and is left
## out of the input; 3 double-zero studies (Pitt, Hutton, Yusuf) and one
## single-zero study (Gupta).  Study labels are "trial (id)" because "Barber"
## occurs twice.
## ---------------------------------------------------------------------------
yus <- subset(dat.yusuf1985, table == "6" & !is.na(ai))
yus_in <- with(yus, bin_input(paste0(trial, " (", id, ")"), ai, n1i, ci, n2i))
yus_dz <- with(yus, paste0(trial, " (", id, ")")[ai == 0 & ci == 0])
DS_YUS <- 'dat.yusuf1985[dat.yusuf1985$table == "6" & !is.na(dat.yusuf1985$ai), ]'
add_case("yusuf6_OR_Peto", DS_YUS, "binary", yus_in, opts("OR", "Peto", "fixed"), not_estimable = yus_dz)
add_case("yusuf6_OR_MH_fixed", DS_YUS, "binary", yus_in, opts("OR", "MH", "fixed"), not_estimable = yus_dz)
add_case("yusuf6_RR_MH_fixed", DS_YUS, "binary", yus_in, opts("RR", "MH", "fixed"), not_estimable = yus_dz)
add_case("yusuf6_OR_IV_random_DL", DS_YUS, "binary", yus_in, opts("OR", "IV", "random", "DL"), not_estimable = yus_dz)

## ---------------------------------------------------------------------------
## dat.collins1985b, pre-eclampsia outcome
## ---------------------------------------------------------------------------
col <- dat.collins1985b
col_in <- with(col, bin_input(paste(author, year), pre.xti, pre.nti, pre.xci, pre.nci))
DS_COL <- "dat.collins1985b (pre-eclampsia: pre.xti/pre.nti vs pre.xci/pre.nci)"
add_case("collins_OR_MH_fixed", DS_COL, "binary", col_in, opts("OR", "MH", "fixed"))
add_case("collins_OR_MH_random", DS_COL, "binary", col_in, opts("OR", "MH", "random", "DL"))
add_case("collins_RR_MH_fixed", DS_COL, "binary", col_in, opts("RR", "MH", "fixed"))
add_case("collins_OR_Peto", DS_COL, "binary", col_in, opts("OR", "Peto", "fixed"))
add_case("collins_OR_IV_random_REML", DS_COL, "binary", col_in, opts("OR", "IV", "random", "REML"))
add_case("collins_OR_IV_random_REML_hksj_pred", DS_COL, "binary", col_in,
         opts("OR", "IV", "random", "REML", hksj = TRUE, prediction = TRUE),
         note = "Prediction interval uses the HKSJ-scaled se of the pooled estimate.")

## ---------------------------------------------------------------------------
## dat.normand1999 (length of hospital stay; t = specialist care, c = routine)
## ---------------------------------------------------------------------------
nor <- dat.normand1999
nor_in <- with(nor, cont_input(source, m1i, sd1i, n1i, m2i, sd2i, n2i))
DS_NOR <- "dat.normand1999"
add_case("normand_MD_IV_fixed", DS_NOR, "continuous", nor_in, opts("MD", "IV", "fixed"))
add_case("normand_MD_IV_random_DL", DS_NOR, "continuous", nor_in, opts("MD", "IV", "random", "DL"))
add_case("normand_MD_IV_random_REML", DS_NOR, "continuous", nor_in, opts("MD", "IV", "random", "REML"))
add_case("normand_MD_IV_random_PM", DS_NOR, "continuous", nor_in, opts("MD", "IV", "random", "PM"))
add_case("normand_MD_IV_random_DL_hksj", DS_NOR, "continuous", nor_in, opts("MD", "IV", "random", "DL", hksj = TRUE))
add_case("normand_MD_IV_random_DL_pred", DS_NOR, "continuous", nor_in, opts("MD", "IV", "random", "DL", prediction = TRUE))
add_case("normand_MD_IV_random_DL_hksj_pred", DS_NOR, "continuous", nor_in,
         opts("MD", "IV", "random", "DL", hksj = TRUE, prediction = TRUE),
         note = "Prediction interval uses the HKSJ-scaled se of the pooled estimate.")

## SMD: per-study yi only (metafor's escalc("SMD") uses the exact bias
## correction and a different large-sample variance than RevMan 5).
local({
  code <- tpl_smd()
  env <- run_code(code, nor_in)
  CASES[[length(CASES) + 1L]] <<- list(
    id = "normand_SMD_yi", dataset = DS_NOR, kind = "continuous",
    call = paste(PREAMBLE, code, sep = "\n"),
    input = lapply(nor_in, I),
    options = opts("SMD", "IV", "fixed"),
    note = paste("Only per-study yi is reference data.  metafor's escalc(\"SMD\") applies the exact",
                 "small-sample correction J = gamma(m/2)/(sqrt(m/2)*gamma((m-1)/2)), m = n1+n2-2;",
                 "RevMan 5 uses J = 1 - 3/(4N - 9) (yi_approxJ).  vi is not recorded: metafor's",
                 "SMD variance differs from RevMan's."),
    expected = list(yi = perstudy(env$yi), yi_approxJ = perstudy(env$yi_approxJ)))
})

## ---------------------------------------------------------------------------
## constructed: double-zero and single-zero studies
## ---------------------------------------------------------------------------
zer_in <- bin_input(c("Alpha 2001", "Beta 2003", "Gamma 2005", "Delta 2008", "Epsilon 2010"),
                    c(12, 0, 0, 8, 25), c(100, 50, 40, 60, 200),
                    c(20, 0, 5, 15, 31), c(100, 48, 42, 62, 198))
DS_ZER <- "constructed (Beta 2003: 0/50 vs 0/48, double zero; Gamma 2005: 0/40 vs 5/42, single zero)"
add_case("zeros_OR_MH_fixed", DS_ZER, "binary", zer_in, opts("OR", "MH", "fixed"), not_estimable = "Beta 2003")
add_case("zeros_RR_MH_fixed", DS_ZER, "binary", zer_in, opts("RR", "MH", "fixed"), not_estimable = "Beta 2003")
add_case("zeros_OR_MH_random", DS_ZER, "binary", zer_in, opts("OR", "MH", "random", "DL"), not_estimable = "Beta 2003")
add_case("zeros_OR_IV_random_DL", DS_ZER, "binary", zer_in, opts("OR", "IV", "random", "DL"), not_estimable = "Beta 2003")
add_case("zeros_OR_Peto", DS_ZER, "binary", zer_in, opts("OR", "Peto", "fixed"), not_estimable = "Beta 2003")

## ---------------------------------------------------------------------------
## single study (k = 1)
## ---------------------------------------------------------------------------
add_case("single_OR_MH_fixed", "dat.bcg[1, ] (Aronson 1948)", "binary",
         subset_input(bcg_in, 1), opts("OR", "MH", "fixed"))
add_case("single_MD_IV_fixed", "dat.normand1999[1, ] (Edinburgh)", "continuous",
         subset_input(nor_in, 1), opts("MD", "IV", "fixed"))

## ---------------------------------------------------------------------------
## homogeneous data: DL tau2 = 0 (Q < df)
## ---------------------------------------------------------------------------
hom_cin <- cont_input(c("H1", "H2", "H3", "H4", "H5"),
                      c(10.2, 11.0, 9.8, 10.5, 10.9), c(2.1, 2.4, 1.9, 2.2, 2.5), c(40, 55, 32, 60, 45),
                      c(11.1, 11.8, 10.9, 11.4, 11.7), c(2.0, 2.3, 2.1, 2.4, 2.2), c(42, 50, 30, 58, 47))
DS_HOM <- "constructed homogeneous data (Q < df, so tau2 = 0)"
add_case("homog_MD_IV_random_DL", DS_HOM, "continuous", hom_cin, opts("MD", "IV", "random", "DL"))
hom_bin <- bin_input(c("H1", "H2", "H3", "H4"), c(15, 22, 9, 30), c(100, 150, 60, 200),
                     c(20, 29, 12, 41), c(100, 148, 61, 205))
add_case("homog_OR_MH_random", DS_HOM, "binary", hom_bin, opts("OR", "MH", "random", "DL"))
add_case("homog_OR_IV_random_DL", DS_HOM, "binary", hom_bin, opts("OR", "IV", "random", "DL"))

## ---------------------------------------------------------------------------
## Fleiss (1993) aspirin trials, with RevMan's own stored results.
## The R package 'meta' is not packaged in Debian (no r-cran-meta), so the data
## and RevMan's results were transcribed from the RevMan 5.0.23 file
## Fleiss1993.rm5 shipped with meta (inst/extdata/Fleiss1993.rm5, outcome
## CMP-001.01 "Aspirin for Preventing Death after Myocardial Infarction",
## OR, M-H, fixed).  Order = RevMan's display order.  The checks below confirm
## that the transcribed counts reproduce RevMan's stored per-study values.
## ---------------------------------------------------------------------------
fl_in <- bin_input(c("MRC-1", "CDP", "MRC-2", "GASP", "PARIS", "AMIS", "ISIS-2"),
                   c(49, 44, 102, 32, 85, 246, 1570), c(615, 758, 832, 317, 810, 2267, 8587),
                   c(67, 64, 126, 38, 52, 219, 1720), c(624, 771, 850, 309, 406, 2257, 8600))
revman_fleiss <- list(
  source = "meta package inst/extdata/Fleiss1993.rm5 (RevMan 5.0.23), DICH_OUTCOME CMP-001.01",
  estimate = 0.8968655609130709, ci_low = 0.8405144008917793, ci_high = 0.9569947088336491,
  z = 3.287633061337987, p = 0.0010103343130005407,
  q = 9.946055983220074, q_df = 6, q_p = 0.1269422521561745, i2 = 39.67458045558399,
  study_estimate = I(c(0.7197141500975687, 0.6807598039215687, 0.8028701891715591, 0.8007386888273315,
                       0.7981432360742705, 1.1327364047365673, 0.8949693601254097)),
  study_ci_low = I(c(0.4889745274989256, 0.45739090373983604, 0.6064528819242718, 0.4862610363759706,
                     0.5525633542165779, 0.9346646778747347, 0.8294175772940908)),
  study_ci_high = I(c(1.0593362817898602, 1.0132119087766858, 1.062902922672345, 1.318597213882381,
                      1.1528680293941878, 1.3727829808793592, 0.965701930475584)),
  study_se = I(c(0.1972198088133556, 0.20289716633892102, 0.14314855217027966, 0.2544888962290453,
                 0.18761568222036212, 0.098064939620213, 0.03880976559851533)),
  study_var = I(c(0.038895652988376536, 0.04116726010836378, 0.020491507988447278, 0.06476459830387778,
                  0.035199644215011906, 0.00961673238271602, 0.0015061979058117042)),
  weight = I(c(3.176490004091248, 3.1016891143394365, 5.675380442715663, 1.795484618258711,
               3.2176243566716805, 10.153491219997628, 72.87984024392564)))
add_case("fleiss1993_OR_MH_fixed", "Fleiss1993 aspirin trials (meta::Fleiss1993bin / Fleiss1993.rm5)",
         "binary", fl_in, opts("OR", "MH", "fixed"),
         note = "expected$revman holds the values RevMan 5.0.23 stored in Fleiss1993.rm5 (natural-scale OR; study_se/study_var on the ln scale).")
CASES[[length(CASES)]]$expected$revman <- revman_fleiss

## ---------------------------------------------------------------------------
## this review's own live-birth tables, as data/ gives them (written by
## tools/review_input.py; tests/test_metafor_reference.py checks they are still
## what data/ gives): the methods course shows these calls beside its own.
## ---------------------------------------------------------------------------
review_file <- file.path(out_dir, "review_input.json")
if (!file.exists(review_file)) stop(review_file, " is missing: run .venv/bin/python tools/review_input.py first")
review <- fromJSON(review_file, simplifyVector = TRUE)
review_in <- function(name) with(review[[name]]$input, bin_input(study, events_t, total_t, events_c, total_c))
lb_paper <- review_in("livebirth_paper"); DS_LBP <- review$livebirth_paper$dataset
lb_trials <- review_in("livebirth_trials"); DS_LBT <- review$livebirth_trials$dataset
add_case("livebirth_paper_OR_MH_fixed", DS_LBP, "binary", lb_paper, opts("OR", "MH", "fixed"), leave1out = TRUE)
add_case("livebirth_paper_OR_MH_random", DS_LBP, "binary", lb_paper, opts("OR", "MH", "random", "DL"))
add_case("livebirth_paper_OR_IV_fixed", DS_LBP, "binary", lb_paper, opts("OR", "IV", "fixed"))
add_case("livebirth_paper_OR_Peto", DS_LBP, "binary", lb_paper, opts("OR", "Peto", "fixed"))
add_case("livebirth_paper_OR_IV_random_DL", DS_LBP, "binary", lb_paper, opts("OR", "IV", "random", "DL"))
add_case("livebirth_paper_OR_IV_random_REML", DS_LBP, "binary", lb_paper, opts("OR", "IV", "random", "REML"))
add_case("livebirth_paper_OR_IV_random_DL_hksj", DS_LBP, "binary", lb_paper,
         opts("OR", "IV", "random", "DL", hksj = TRUE))
add_case("livebirth_trials_OR_IV_random_REML_hksj_pred", DS_LBT, "binary", lb_trials,
         opts("OR", "IV", "random", "REML", hksj = TRUE, prediction = TRUE))

## ---------------------------------------------------------------------------
## HKSJ with the ad hoc variance correction (test = "adhoc"; Knapp & Hartung 2003,
## Jackson et al. 2017 section 4.3): the HKSJ factor q = Q*/(k - 1) is floored at 1, so the
## se is never below the conventional random-effects se.  On the homogeneous data q < 1 and
## the floor binds (the "knha" case beside it shows the difference); on dat.bcg q > 1 and
## "adhoc" equals "knha".  Appended after the other cases so that the file only grows.
## ---------------------------------------------------------------------------
add_case("homog_OR_IV_random_REML_hksj_pred", DS_HOM, "binary", hom_bin,
         opts("OR", "IV", "random", "REML", hksj = TRUE, prediction = TRUE),
         note = "test = \"knha\" where q = Q*/(k - 1) < 1: the HKSJ se is below the conventional one.")
add_case("homog_OR_IV_random_REML_adhoc_pred", DS_HOM, "binary", hom_bin,
         opts("OR", "IV", "random", "REML", hksj = "adhoc", prediction = TRUE),
         note = paste("test = \"adhoc\": q = Q*/(k - 1) < 1 is floored at 1, so se is the conventional",
                      "random-effects se; the prediction interval uses that se (t with k - 2 df)."))
add_case("bcg_OR_IV_random_REML_adhoc", DS_BCG, "binary", bcg_in,
         opts("OR", "IV", "random", "REML", hksj = "adhoc"),
         note = "test = \"adhoc\" where q = Q*/(k - 1) > 1: the same as test = \"knha\".")

## ---------------------------------------------------------------------------
## self-checks of the conventions (stop on failure, recorded in the JSON)
## ---------------------------------------------------------------------------
checks <- list()
chk <- function(name, a, b, tol = 1e-10) {
  d <- max(abs(as.numeric(a) - as.numeric(b)), na.rm = TRUE)
  checks[[length(checks) + 1L]] <<- list(check = name, max_abs_diff = d)
  if (!(d <= tol)) stop(sprintf("check failed: %s (diff %g)", name, d))
}
find_case <- function(id) CASES[[which(vapply(CASES, `[[`, "", "id") == id)]]

## 1. M-H OR for dat.bcg by the textbook formula sum(a d / n) / sum(b c / n)
with(bcg, {
  a <- tpos; b <- tneg; c_ <- cpos; d <- cneg; n <- a + b + c_ + d
  chk("bcg M-H OR = sum(ad/n)/sum(bc/n)", find_case("bcg_OR_MH_fixed")$expected$estimate,
      sum(a * d / n) / sum(b * c_ / n))
  ## M-H RR = sum(a n2 / n) / sum(c n1 / n)
  chk("bcg M-H RR = sum(a n2/n)/sum(c n1/n)", find_case("bcg_RR_MH_fixed")$expected$estimate,
      sum(a * (c_ + d) / n) / sum(c_ * (a + b) / n))
})
## 2. rma.mh QE = inverse-variance weighted SS of yi around the M-H log estimate
local({
  e <- find_case("bcg_OR_MH_fixed")$expected
  chk("rma.mh QE = sum((yi - log(OR_MH))^2/vi)", e$q, sum((e$yi - log(e$estimate))^2 / e$vi))
  chk("rma.mh I2 = (Q - df)/Q * 100", e$i2, max(0, (e$q - e$q_df) / e$q) * 100)
  e <- find_case("zeros_OR_MH_fixed")$expected
  chk("zero cells: QE around M-H estimate (double zero dropped)", e$q,
      sum((e$yi - log(e$estimate))^2 / e$vi, na.rm = TRUE))
})
## 3. zero-cell handling inside the M-H sums: 0.5 added to all cells of Gamma 2005
local({
  a <- c(12, 0.5, 8, 25); b <- c(88, 40.5, 52, 175); c_ <- c(20, 5.5, 15, 31); d <- c(80, 37.5, 47, 167)
  n <- a + b + c_ + d
  chk("zero cells: M-H OR with 0.5 added to the single-zero study", find_case("zeros_OR_MH_fixed")$expected$estimate,
      sum(a * d / n) / sum(b * c_ / n))
})
## 4. RevMan M-H random = IV pooling with tau2 from the M-H-based Q
local({
  e <- find_case("bcg_OR_MH_random")$expected
  w <- 1 / e$vi; C <- sum(w) - sum(w^2) / sum(w)
  chk("M-H random tau2 = (Q_MH - df)/C", e$tau2, max(0, (e$q - e$q_df) / C))
  ws <- 1 / (e$vi + e$tau2)
  chk("M-H random estimate = IV random pooling with that tau2", log(e$estimate), sum(ws * e$yi) / sum(ws))
  chk("M-H random se", e$se, sqrt(1 / sum(ws)))
})
## 5. prediction interval = predict(..., pi.type = "riley") (t with k-2 df)
local({
  for (id in c("bcg_RR_IV_random_DL_pred", "bcg_RR_IV_random_DL_hksj_pred",
               "collins_OR_IV_random_REML_hksj_pred", "normand_MD_IV_random_DL_pred",
               "normand_MD_IV_random_DL_hksj_pred")) {
    cs <- find_case(id)
    env <- run_code(sub("^[^\n]*\n", "", cs$call), cs$input)
    pr <- predict(env$res, pi.type = "riley")
    tr <- if (is_ratio(cs$options$measure)) exp else identity
    chk(paste(id, "PI = predict(pi.type = 'riley')"), c(cs$expected$pi_low, cs$expected$pi_high),
        tr(c(pr$pi.lb, pr$pi.ub)))
  }
})
## 6. HKSJ (test = "knha") is untruncated: se^2 = se_z^2 * Q_gen/(k-1), Q_gen around the RE estimate
local({
  e <- find_case("bcg_RR_IV_random_DL_hksj")$expected
  e0 <- find_case("bcg_RR_IV_random_DL")$expected
  ws <- 1 / (e$vi + e$tau2); mu <- log(e$estimate)
  qgen <- sum(ws * (e$yi - mu)^2)
  chk("HKSJ se = sqrt(qgen/(k-1) / sum(w*))", e$se, sqrt(qgen / (length(e$yi) - 1) / sum(ws)))
  chk("HKSJ ci uses qt(0.975, k-1)", log(e$ci_low), mu - qt(0.975, length(e$yi) - 1) * e$se)
  chk("HKSJ does not change the estimate", e$estimate, e0$estimate)
})
## 7. subgroup test reproduces by hand (OR MH fixed by alloc)
local({
  e <- find_case("bcg_OR_MH_fixed_subgroup_alloc")$expected
  est <- sapply(e$subgroups, function(s) log(s$estimate)); se <- sapply(e$subgroups, `[[`, "se")
  w <- 1 / se^2; eb <- sum(w * est) / sum(w)
  chk("subgroup Q = sum((est_j - est_bar)^2/se_j^2)", e$subgroup_q, sum((est - eb)^2 / se^2))
})
## 8. Fleiss 1993: metafor reproduces RevMan 5's stored results
local({
  e <- find_case("fleiss1993_OR_MH_fixed")$expected; r <- e$revman
  chk("Fleiss: study OR vs RevMan", exp(e$yi), r$study_estimate, 1e-12)
  chk("Fleiss: study var vs RevMan", e$vi, r$study_var, 1e-12)
  chk("Fleiss: M-H weights vs RevMan", e$weight, r$weight, 1e-10)
  chk("Fleiss: pooled OR vs RevMan", e$estimate, r$estimate, 1e-12)
  chk("Fleiss: CI vs RevMan", c(e$ci_low, e$ci_high), c(r$ci_low, r$ci_high), 1e-12)
  chk("Fleiss: |Z| vs RevMan", abs(e$z), r$z, 1e-10)
  chk("Fleiss: p vs RevMan", e$p, r$p, 1e-12)
  chk("Fleiss: Chi2 (QE) vs RevMan", e$q, r$q, 1e-10)
  chk("Fleiss: I2 vs RevMan", e$i2, r$i2, 1e-8)
  ## RevMan 5's stored chi-square p-value is only accurate to ~6e-7 relative
  ## (0.1269422521561745 vs pchisq() = 0.1269421779063); Q itself agrees to ~1e-14.
  chk("Fleiss: P(Chi2) vs RevMan (RevMan's chi2 p is approximate)", e$q_p, r$q_p, 1e-6)
})
## 9. weights sum to 100
for (cs in CASES) if (!is.null(cs$expected$weight))
  chk(paste(cs$id, "weights sum to 100"), sum(cs$expected$weight, na.rm = TRUE), 100, 1e-9)

## 10. the ad hoc correction: se^2 = max(1, q) / sum(w*), q = Q*/(k - 1) around the RE estimate; the
##     prediction interval of an adhoc fit is predict(pi.type = "riley") too
local({
  for (id in c("homog_OR_IV_random_REML_adhoc_pred", "bcg_OR_IV_random_REML_adhoc")) {
    e <- find_case(id)$expected
    ws <- 1 / (e$vi + e$tau2); mu <- log(e$estimate)
    q <- sum(ws * (e$yi - mu)^2) / (length(e$yi) - 1)
    chk(paste(id, "se = sqrt(max(1, q) / sum(w*))"), e$se, sqrt(max(1, q) / sum(ws)))
    chk(paste(id, "ci uses qt(0.975, k-1)"), log(e$ci_low), mu - qt(0.975, length(e$yi) - 1) * e$se)
  }
  knha <- find_case("homog_OR_IV_random_REML_hksj_pred")$expected
  adhoc <- find_case("homog_OR_IV_random_REML_adhoc_pred")$expected
  if (!(knha$se < adhoc$se)) stop("check failed: on the homogeneous data the knha se should be below the adhoc se")
  chk("homog adhoc se = conventional se sqrt(1/sum(w*))", adhoc$se, sqrt(1 / sum(1 / (adhoc$vi + adhoc$tau2))))
  for (id in c("homog_OR_IV_random_REML_hksj_pred", "homog_OR_IV_random_REML_adhoc_pred")) {
    cs <- find_case(id)
    env <- run_code(sub("^[^\n]*\n", "", cs$call), cs$input)
    pr <- predict(env$res, pi.type = "riley")
    chk(paste(id, "PI = predict(pi.type = 'riley')"), c(cs$expected$pi_low, cs$expected$pi_high),
        exp(c(pr$pi.lb, pr$pi.ub)))
  }
})

## ---------------------------------------------------------------------------
out <- list(
  r_version = R.version$version.string,
  metafor_version = as.character(packageVersion("metafor")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  meta_version = NA,
  generated = format(Sys.Date(), "%Y-%m-%d"),
  preamble = PREAMBLE,
  notes = I(c(
    "Per-study arrays (yi, vi, weight, leave1out) are aligned with input$study; null = study not estimable/dropped.",
    "estimate/ci_low/ci_high/pi_low/pi_high are on the natural scale (exp() applied for OR/RR); se, yi, vi are on the log scale for OR/RR.",
    "z is the Wald z (or the t statistic when hksj is true, with t_df = k - 1 degrees of freedom); p is two-sided.",
    "tau2 is null for fixed-effect models; q, q_p, i2 and tau2 are null when k = 1 (heterogeneity not applicable).",
    "Numbers are written with jsonlite::toJSON(digits = NA), i.e. 15 significant digits.",
    "The R package meta is not available from Debian (no r-cran-meta); meta_version is null.")),
  checks = checks,
  cases = CASES)

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), out_file)
cat(sprintf("wrote %s: %d cases, %d checks passed\n", out_file, length(CASES), length(checks)))
