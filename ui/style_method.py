"""The method of Gatys et al. in the page's words and formulas: the objective, its content, style (Gram) and
total-variation terms as this app computes them, and what each term does on its own (the presets show it).

Formulas from CURRICULUM.md §6: the style term compares the style image S with the generated image G — never C.
"""

from __future__ import annotations

import streamlit as st

from engine.style.backbone import SPECS, vgg19_status


def objective() -> None:
    """The one formula the page opens with."""
    st.latex(r"J(G) \;=\; \alpha\, J_\mathrm{content}(C, G) \;+\; \beta\, J_\mathrm{style}(S, G) \;+\; "
             r"\lambda_\mathrm{TV}\, \mathrm{TV}(G)")
    st.caption("C is the content image, S the style image and G the generated image. The network's weights stay fixed: "
               "gradient descent changes the *pixels* of G.")


def method_section() -> None:
    st.subheader("How it works")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Content.** A pretrained CNN's activations $a^{[l]}$ at one mid-level layer $l$ describe what is where. "
                    "G keeps C's content when its activations there match C's:")
        st.latex(r"J_\mathrm{content}(C, G) = \tfrac{1}{2}\,\bigl\lVert a^{[l](C)} - a^{[l](G)} \bigr\rVert^2")
        st.caption("Here divided by the layer's size $n_H n_W n_C$ (a mean, not a sum), so one α works at any image size. "
                   "A shallow content layer keeps C's pixels; a deep one keeps only its layout.")
        st.markdown("**Total variation** penalises differences between neighbouring pixels, which smooths away the "
                    "high-frequency noise that the network barely sees:")
        st.latex(r"\mathrm{TV}(G) = \bigl\langle (G_{i+1,j} - G_{ij})^2 \bigr\rangle + \bigl\langle (G_{i,j+1} - G_{ij})^2 \bigr\rangle")
        st.caption("⟨·⟩ is the mean over all pixel pairs and colour channels; λ_TV weights it in J(G).")
    with right:
        st.markdown("**Style.** The Gram matrix of layer $l$ records which channels $k, k'$ fire *together*, summed over all "
                    "positions $i, j$ — so it keeps textures and colours and forgets where they are:")
        st.latex(r"\mathrm{Gram}^{[l]}_{kk'} = \frac{1}{n_H^{[l]} n_W^{[l]} n_C^{[l]}} \sum_{i=1}^{n_H^{[l]}} "
                 r"\sum_{j=1}^{n_W^{[l]}} a^{[l]}_{ijk}\, a^{[l]}_{ijk'}")
        st.latex(r"J_\mathrm{style}(S, G) = \sum_l w_l\, \bigl\lVert \mathrm{Gram}^{[l]}(S) - \mathrm{Gram}^{[l]}(G) "
                 r"\bigr\rVert_F^2")
        st.caption("The squared Frobenius norm sums over all $n_C \\times n_C$ entries. Several layers $l$ with weights "
                   "$w_l$: shallow ones carry fine texture, deep ones larger motifs. Shuffling the positions of a layer's "
                   "activations leaves its Gram matrix unchanged.")
    st.markdown(
        "**Each term on its own** (the presets above): with **β = 0** and G started from noise, only the content term acts "
        "and G converges back to the content image — at a shallow content layer almost pixel for pixel. With **α = 0**, "
        "only the style term acts: G takes on the style's textures and colours everywhere, with none of the content's "
        "layout. Both together paint the content's layout with the style's textures; β/α sets the balance. **Preserve "
        "colour** transfers the style to the brightness (luma) only and keeps the content's own colours.")
    available, reason = vgg19_status()
    backbone = ("VGG-19 is available here too." if available else
                f"VGG-19, the network of the original paper, is not available here ({reason}).")
    st.caption(f"The features come from {SPECS['efficientnet'].title}, a small ImageNet CNN bundled with the app; content "
               f"layer {SPECS['efficientnet'].default_content_layer} by default, style layers "
               f"{', '.join(SPECS['efficientnet'].style_layers)}. {backbone} G is optimised by L-BFGS, as in Gatys et al. "
               "(2016), or by Adam, with its pixels kept in [0, 1].")
