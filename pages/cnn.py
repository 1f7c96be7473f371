"""CNN: convolution by hand (kernels on photos, the arithmetic, receptive fields), the architecture zoo,
a CNN trained live on generated shapes, and a real pretrained CNN's feature maps and Grad-CAM."""

import streamlit as st

from engine.cnn.model import CNNConfig
from ui import cnn_arithmetic as arithmetic
from ui import cnn_kernels as kernels
from ui import cnn_pretrained as pretrained
from ui import cnn_train as train
from ui import cnn_zoo as zoo
from ui import state

PAGE = "cnn"

# -- purpose ------------------------------------------------------------------------------------------------------
st.title("CNN: convolutional networks")
st.markdown(
    "A convolutional layer slides small learned filters over its input, so the same weights look for the same pattern "
    "everywhere in the image: far fewer parameters than a fully connected layer, and maps that say *where* each pattern is. "
    "Stacked, with pooling or strides in between, deeper layers see larger regions and respond to larger patterns.")
st.latex(r"z[i, j, k] = b_k + \sum_{u=0}^{f-1} \sum_{v=0}^{f-1} \sum_{c=1}^{c_\mathrm{in}} "
         r"w_k[u, v, c]\; x[s\,i + u,\; s\,j + v,\; c]")
st.caption("One output value: filter k's weights times the f × f × c_in input window at stride s (padding and dilation aside), "
           "plus its bias.")

# -- inputs: the link's CNN on first load ---------------------------------------------------------------------------
state.load_link_once(PAGE, CNNConfig, train.load)

by_hand, sizes, architectures, training, pretrained_tab = st.tabs(
    ["Kernels by hand", "Arithmetic", "Architectures", "Train a CNN", "A pretrained CNN"],
    key=state.action_key(PAGE, "section"), on_change="rerun")

# -- compute and show: only the open section is drawn -----------------------------------------------------------------
if by_hand.open:
    with by_hand:
        kernels.kernels_section()
if sizes.open:
    with sizes:
        arithmetic.arithmetic_section()
if architectures.open:
    with architectures:
        zoo.zoo_section()
if training.open:
    with training:
        train.train_section()
if pretrained_tab.open:
    with pretrained_tab:
        pretrained.pretrained_section()
