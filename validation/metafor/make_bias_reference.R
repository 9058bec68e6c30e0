## Reference values for metarmc.bias (Egger's test, trim-and-fill) from R's metafor.
## Run from the repository root:  Rscript validation/metafor/make_bias_reference.R
## Writes validation/metafor/bias_reference.json (each case with its exact R call).
suppressMessages({library(metafor); library(jsonlite)})

cases <- list()
add_case <- function(id, dataset, yi, vi, call_text) {
  env <- new.env(); env$yi <- yi; env$vi <- vi
  eval(parse(text = call_text), envir = env)
  cases[[length(cases) + 1]] <<- list(
    id = id, dataset = dataset, call = call_text,
    input = list(yi = as.numeric(yi), vi = as.numeric(vi)),
    expected = list(
      egger_intercept = unname(coef(summary(env$eg$fit))["Xsei", "Estimate"]),
      egger_se = unname(coef(summary(env$eg$fit))["Xsei", "Std. Error"]),
      egger_t = unname(env$eg$zval), egger_df = env$eg$dfs, egger_p = unname(env$eg$pval),
      trimfill_k0 = env$tf$k0, trimfill_side = env$tf$side,
      trimfill_estimate = as.numeric(env$tf$beta), trimfill_se = env$tf$se,
      trimfill_ci_low = env$tf$ci.lb, trimfill_ci_high = env$tf$ci.ub,
      trimfill_tau2 = env$tf$tau2,
      filled_yi = as.numeric(env$tf$yi[env$tf$fill]), filled_vi = as.numeric(env$tf$vi[env$tf$fill])))
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

out <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
            generated = format(Sys.Date()), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "validation/metafor/bias_reference.json")
cat("wrote validation/metafor/bias_reference.json:", length(cases), "cases\n")
